"""Issue 33, class 5: ERCOT and Open-Meteo format variants are parsed; out-of-range values are quarantined.

Generated rows in every documented date and hour spelling load at the right time; values outside the
documented ranges, and dates or times in no documented form, are quarantined per row, never failing the job.
"""

from __future__ import annotations

import json
import random
from datetime import datetime

import pandas as pd
from pyspark.sql import functions as F

from energylake.ercot_formats import ercot_date, hour_text
from energylake.openmeteo_formats import observation_time
from lakectl import runner

from .balance_lib import assert_balanced_by_table, assert_rerun_changes_nothing, put_objects, run
from .corpus_lib import read_table


def _date_spellings(day: datetime) -> list[str]:
    m, d, y = day.month, day.day, day.year
    return [
        f"{m:02d}/{d:02d}/{y}",
        f"{m}/{d}/{y}",
        f"{m}/{d}/{y % 100:02d}",
        f"{m:02d}/{d:02d}/{y % 100}",
        day.strftime("%Y-%m-%d"),
    ]


def test_ercot_date_and_hour_spellings(spark):
    rng = random.Random(335)
    days = [datetime(2024, rng.randint(1, 12), rng.randint(1, 28)) for _ in range(10)]
    cases = [(text, day.date()) for day in days for text in _date_spellings(day)]
    cases += [(bad, None) for bad in ["2/30/2024", "13/01/2024", "7-15-2024", "15/07/2024x", "", "07/15/224"]]
    frame = spark.createDataFrame([(t,) for t, _ in cases], "t string")
    got = [r.d for r in frame.select(ercot_date(F.col("t")).alias("d")).collect()]
    assert got == [expected for _, expected in cases]
    hours = ["1", "01", "01:00", " 24:00 ", "1:30", "124", "x"]
    got = [
        r.h
        for r in spark.createDataFrame([(h,) for h in hours], "h string").select(hour_text("h").alias("h")).collect()
    ]
    assert got == ["1", "01", "01", "24", "1:30", "124", "x"]


def test_openmeteo_time_precisions(spark):
    cases = [
        ("2024-07-15T13:00", 0, datetime(2024, 7, 15, 13)),
        ("2024-07-15T13:00:00", 0, datetime(2024, 7, 15, 13)),
        ("2024-07-15T13:00:30.5", 0, datetime(2024, 7, 15, 13, 0, 30, 500000)),
        ("2024-07-15T13:00", 3600, datetime(2024, 7, 15, 12)),
        ("1721048400", 3600, datetime(2024, 7, 15, 13)),  # unixtime is GMT+0 whatever the offset
        ("2024-07-15 13:00", 0, None),
        ("2024-07-15T13", 0, None),
        ("yesterday", 0, None),
    ]
    frame = spark.createDataFrame([(t, o) for t, o, _ in cases], "t string, o int")
    got = [r.ts for r in frame.select(observation_time(F.col("t"), F.col("o")).alias("ts")).collect()]
    assert got == [expected for _, _, expected in cases]


SPP_HEADER = (
    "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag"
)


def test_ercot_job_loads_documented_variants_and_quarantines_out_of_range_rows(aws, spark, s3):
    runner.ensure_buckets()
    rng = random.Random(3351)
    good, bad = [], []
    for n in range(16):
        spelling = rng.choice(_date_spellings(datetime(2024, 7, 15)))
        hour = rng.randint(1, 24)
        hour_spelling = rng.choice([str(hour), f"{hour:02d}", f"{hour:02d}:00"])
        good.append(f"{spelling},{hour_spelling},{n % 4 + 1},HB_P{n},HU,{30 + n}.5,N")
    for field, value in [("hour", "0"), ("hour", "25"), ("interval", "0"), ("interval", "5"), ("hour", "1:30")]:
        hour, interval = (value, "1") if field == "hour" else ("3", value)
        bad.append(f"07/15/2024,{hour},{interval},HB_BAD_{field}_{value},HU,99.0,N")
    bad.append("7/15/2024x,3,1,HB_BAD_DAY,HU,99.0,N")
    body = "\n".join([SPP_HEADER, *good, *bad]) + "\n"
    key = "ercot/spp_realtime/2024/07/15/spp_realtime_variants.csv"
    load_key = "ercot/system_load/2024/07/15/system_load_variants.csv"
    load_header = "OperDay,HourEnding,COAST,EAST,FAR_WEST,NORTH,NORTH_C,SOUTHERN,SOUTH_C,WEST,TOTAL,DSTFlag"
    zones = ",".join(["100.0"] * 9)
    load_rows = [f"7/15/24,1:00,{zones},N", f"07/15/2024,25:00,{zones},N", f"07/15/2024,0,{zones},N"]
    uris = put_objects(
        s3,
        "energylake-local-landing",
        {key: body.encode(), load_key: ("\n".join([load_header, *load_rows]) + "\n").encode()},
    )

    done = run(s3, "ercot_to_transform", uris)

    prices = read_table(s3, "energy_transform", "ercot_settlement_prices")
    assert sorted(prices.settlement_point) == sorted(f"HB_P{n}" for n in range(16))
    assert (pd.to_datetime(prices.delivery_date) == pd.Timestamp("2024-07-15")).all()
    assert done.reasons(key) == {"out_of_range": 4, "invalid_type": 2}
    load = read_table(s3, "energy_transform", "ercot_system_load")
    assert sorted(set(load.hour_ending)) == [1]
    assert done.reasons(load_key) == {"out_of_range": 18}  # two lines x nine zones
    assert_balanced_by_table(done)
    tables = [("energy_transform", "ercot_settlement_prices"), ("energy_transform", "ercot_system_load")]
    assert_rerun_changes_nothing(s3, "ercot_to_transform", done, tables)


def test_openmeteo_job_reads_every_time_precision(aws, spark, s3):
    runner.ensure_buckets()
    times = ["2024-07-15T10:00", "2024-07-15T11:00:00", "1721044800", "2024-07-15 13:00", "2024-07-15T14:00"]
    hourly = {"time": times}
    for var in ("temperature_2m", "wind_speed_10m", "wind_speed_100m", "shortwave_radiation", "cloud_cover"):
        hourly[var] = [10.0] * len(times)
    doc = {"latitude": 32.4, "longitude": -100.5, "utc_offset_seconds": 0, "hourly": hourly}
    key = "openmeteo/forecast/WF-ROSCOE/2024/07/15/0900.json"
    uris = put_objects(s3, "energylake-local-landing", {key: json.dumps(doc).encode()})

    done = run(s3, "openmeteo_to_transform", uris)

    weather = read_table(s3, "energy_transform", "weather_hourly")
    assert sorted(pd.to_datetime(weather.observation_ts).dt.hour) == [10, 11, 12, 14]
    assert done.reasons(key) == {"invalid_type": 1}
    assert_balanced_by_table(done)
    assert_rerun_changes_nothing(s3, "openmeteo_to_transform", done, [("energy_transform", "weather_hourly")])
