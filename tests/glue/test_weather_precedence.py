"""Open-Meteo precedence: archive beats forecast for a site and hour, but a null never overwrites a value."""

from __future__ import annotations

from datetime import datetime

from energylake.contracts import get_contract
from energylake.dedup import rank_with_existing
from energylake.openmeteo import dedupe_weather, weather_value_columns, weather_winner_order
from energylake.schema import struct_type

HOUR = datetime(2024, 7, 16, 1)


def _row(kind: str, fetched: datetime, temperature: float | None, wind: float | None, source: str) -> dict:
    values = dict.fromkeys(weather_value_columns())
    values.update(
        temperature_c=temperature, wind_speed_10m_ms=wind, cloud_cover_pct=40.0 if kind == "forecast" else None
    )
    return {
        "site_id": "WF-ROSCOE",
        "observation_ts": HOUR,
        **values,
        "data_kind": kind,
        "fetched_ts": fetched,
        "weather_date": HOUR.date(),
        "source_file": source,
    }


def _frame(spark, rows):
    schema = struct_type(get_contract("weather_hourly")).add("source_file", "string")
    return spark.createDataFrame([tuple(r[f.name] for f in schema.fields) for r in rows], schema)


def test_an_archive_null_keeps_the_forecast_value_in_one_batch(spark):
    forecast = _row("forecast", datetime(2024, 7, 14, 12), 31.5, 6.2, "f.json")
    archive = _row("archive", datetime(2024, 7, 21, 1), 30.9, None, "a.json")
    winners, dropped = dedupe_weather(_frame(spark, [forecast, archive]))
    (row,) = winners.collect()
    assert row.data_kind == "archive" and row.temperature_c == 30.9  # the archive's value wins where it has one
    assert row.wind_speed_10m_ms == 6.2 and row.cloud_cover_pct == 40.0  # its nulls do not erase the forecast's
    assert row.shortwave_radiation_wm2 is None and dropped.count() == 1  # nobody measured it: stays null


def test_a_later_archive_null_keeps_the_value_already_written(spark):
    written = _frame(spark, [_row("forecast", datetime(2024, 7, 14, 12), 31.5, 6.2, "f.json")])
    late = _frame(spark, [_row("archive", datetime(2024, 7, 21, 1), None, 5.8, "a.json")])
    keys = list(get_contract("weather_hourly").primary_key)
    ranked = rank_with_existing(late, written, keys, weather_winner_order(), fill_nulls=weather_value_columns())
    (row,) = ranked.where("_rank = 1").collect()
    assert (row.data_kind, row.temperature_c, row.wind_speed_10m_ms) == ("archive", 31.5, 5.8)
