"""Generate the bad-input corpus under tests/robustness/corpus/ (deterministic; committed with its output).

Run ``python tests/robustness/make_corpus.py`` after changing it; a test fails when the committed files
differ from what this script writes. Files are bytes on purpose: BOMs, Latin-1, CRLF, zero-byte and
oversized files cannot be kept honest as hand-edited text. The corpus path mirrors the S3 target:
``corpus/<zone>/<key>`` is uploaded to ``<prefix>-<env>-<zone>/<key>``; ``corpus/partner/`` holds Kinesis
record payloads for the partner writer Lambda (one file per record).
The expected outcome of every file is stated by hand in ``manifest.yaml`` next to the corpus.
"""
# ruff: noqa: E501 - corpus rows stay one record per line, as the source files hold them

from __future__ import annotations

import json
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
BOM = "\ufeff".encode()


def _j(**fields: object) -> str:
    return json.dumps(fields, ensure_ascii=False)


def _lines(*lines: str, crlf: bool = False) -> bytes:
    return (("\r\n" if crlf else "\n").join(lines) + ("\r\n" if crlf else "\n")).encode()


def seed(device: str, data: object, kind: str, date: object, **extra: object) -> str:
    """One seed wind-farm record."""
    return _j(id=device, data=data, type=kind, date=date, **extra)


def device(device_id: object, ts: str, metrics: object, **extra: object) -> str:
    """One device record (site from the id prefix unless given)."""
    return _j(device_id=device_id, ts=ts, metrics=metrics, **extra)


def telemetry() -> dict[str, bytes]:
    """Raw telemetry (Firehose output, JSON lines) in both formats; run 2 is the late file."""
    w = "raw/telemetry/windfarm/2024/07/15/10/"
    d = "raw/telemetry/devices/2024/07/15/10/"
    t0, t1 = "2024-07-15T10:00:00Z", "2024-07-15T10:10:00Z"
    good = [
        seed("WF-ROSCOE-T01", 0.95, "powerFactor", t0),
        seed("WF-ROSCOE-T01", 31.5, "temperature", t0),
        seed("WF-ROSCOE-T02", 2900, "hydraulicPressure", t0, unit="psi"),
        seed("WF-ROSCOE-T01", 0.96, "powerFactor", t1),
    ]
    files = {
        w + "seed-good-dupes.json": _lines(
            *good,
            good[0],  # exact duplicate (Firehose retry)
            seed("WF-ROSCOE-T01", 0.97, "powerFactor", t1),  # same key, other value: the earlier line wins
        ),
        w + "seed-malformed.json": _lines(
            '{"id": "WF-ROSCOE-T01", "data": 0.9, "type": "powerFactor"',  # truncated
            "not json at all",
            "[1, 2, 3]",
            '"just a string"',
            '{"id": "WF-ROSCOE-T01", "data": 0.9,, "type": "powerFactor", "date": "2024-07-15T10:20:00Z"}',
            "{}",
        ),
        w + "seed-out-of-range.json": _lines(
            seed("WF-ROSCOE-T01", 1.2, "powerFactor", "2024-07-15T10:20:00Z"),  # power factor > 1
            seed("WF-ROSCOE-T01", -0.1, "powerFactor", "2024-07-15T10:30:00Z"),
            seed("WF-ROSCOE-T01", 500, "temperature", "2024-07-15T10:20:00Z"),  # 500 °C battery
            seed("WF-ROSCOE-T02", -5, "hydraulicPressure", "2024-07-15T10:20:00Z"),
            seed("WF-ROSCOE-T01", 0.9, "powerFactor", "1999-12-31T23:00:00Z"),  # before 2000
            seed("WF-ROSCOE-T01", 0.9, "powerFactor", "2099-01-01T00:00:00Z"),  # future
            seed("WF-ROSCOE-T01", "n/a", "temperature", "2024-07-15T10:40:00Z"),  # changed type
            seed("WF-ROSCOE-T01", None, "temperature", "2024-07-15T10:50:00Z"),  # null value
            seed(None, 0.9, "powerFactor", "2024-07-15T10:20:00Z"),  # null key
            seed("WF-ROSCOE-T01", 0.9, "powerFactor", None),  # null event time (key)
            seed("WF-ROSCOE-T01", 0.9, "powerFactor", "15/07/2024 10:00"),  # unparseable time
            seed("TURBINE7", 0.9, "powerFactor", "2024-07-15T10:20:00Z"),  # id without a site prefix
        ),
        w + "seed-drift.json": _lines(
            seed("WF-ROSCOE-T01", 0.91, "powerFactor", "2024-07-15T11:00:00Z", rssi=-70),  # new column
            _j(id="WF-ROSCOE-T01", value=0.91, type="powerFactor", date="2024-07-15T11:10:00Z"),  # renamed column
            _j(id="WF-ROSCOE-T01", data=0.91, date="2024-07-15T11:20:00Z"),  # missing column
            seed("WF-ROSCOE-T01", 0.91, 5, "2024-07-15T11:30:00Z"),  # type as a number
            seed("WF-ROSCOE-T01", 7.5, "windSpeed", "2024-07-15T11:40:00Z"),  # unknown type
            seed("WF-ROSCOE-T01", "0.92", "powerFactor", "2024-07-15T11:50:00Z"),  # number as string: castable
            seed("WF-ROSCOE-T02", 20, "hydraulicPressure", "2024-07-15T11:00:00Z", unit="kPa"),  # unknown unit
        ),
        w + "seed-empty.json": b"",  # zero bytes
        w + "seed-blank.json": b"\n\n   \n\r\n",  # only blank lines
        # UTF-8 BOM before the first record, then a Latin-1 encoded record (° = 0xB0, not UTF-8).
        w + "seed-bom-latin1.json": BOM
        + _lines(seed("WF-ROSCOE-T01", 0.93, "powerFactor", "2024-07-15T12:00:00Z"))
        + (seed("WF-ROSCOE-T01", 22.0, "temperature", "2024-07-15T12:00:00Z", unit="°C") + "\n").encode("latin-1"),
        # Oversized: a 200 KB truncated record, and a valid 100 KB record (long firmware string).
        d + "device-oversized.json": _lines(
            '{"device_id": "WF-PAPALOTE-T05", "ts": "2024-07-15T10:00:00Z", "firmware": "' + "x" * 200_000,
            device(
                "WF-PAPALOTE-T05",
                "2024-07-15T10:00:00Z",
                {"active_power_mw": 1.1, "wind_speed_ms": 6.5},
                firmware="y" * 100_000,
            ),
        ),
        d + "device-mixed.json": _lines(
            device("WF-PAPALOTE-T03", t0, {"active_power_mw": 1.5, "wind_speed_ms": 8.0, "rotor_speed_rpm": 12.0}),
            device("WF-PAPALOTE-T03", t1, {"active_power_mw": -0.4, "wind_speed_ms": 3.0}),  # negative generation
            device("WF-PAPALOTE-T03", "2024-07-15T10:20:00Z", {"power_factor": 1.3, "active_power_kw": 800}),
            device("WF-PAPALOTE-T03", "2024-07-15T10:30:00Z", 5),  # metrics not an object
            device("WF-PAPALOTE-T03", "2024-07-15T10:40:00Z", {}),  # no metrics
            device("WF-PAPALOTE-T03", "2024-07-15T10:50:00Z", {"active_power_mw": 1.0, "voltage_v": 400}),
            device(None, t0, {"wind_speed_ms": 5.0}, site_id="WF-PAPALOTE"),  # null key
            _j(id="WF-PAPALOTE-T03", device_id="WF-PAPALOTE-T03", ts=t0, metrics={"wind_speed_ms": 1}),  # both formats
            device("WF-PAPALOTE-T03", t0, {"active_power_mw": 1.5, "wind_speed_ms": 8.0, "rotor_speed_rpm": 12.0}),
            device("WF-PAPALOTE-T03", "2024-07-15T11:00:00Z", {"wind_speed_kmh": "fast"}),
            device("WF-PAPALOTE-T04", "2024-07-15T10:00:00+02:00", {"wind_speed_ms": 4.0}),  # offset time
        ),
        # Run 2: late data for the already written 2024-07-15 partitions, a re-delivered record and a long-closed day.
        "raw/telemetry/windfarm/2024/07/16/09/seed-late.json": _lines(
            seed("WF-ROSCOE-T01", 0.94, "powerFactor", "2024-07-15T09:00:00Z"),
            good[1],
            seed("WF-ROSCOE-T01", 0.92, "powerFactor", "2024-07-01T09:00:00Z"),
        ),
    }
    return files


ERCOT_LOAD_HEADER = "OperDay,HourEnding,COAST,EAST,FAR_WEST,NORTH,NORTH_C,SOUTHERN,SOUTH_C,WEST,TOTAL,DSTFlag"
SPP_HEADER = (
    "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag"
)


def _load_row(day: str, he: str, coast: float = 12000.0) -> str:
    zones = [coast, 1500.0, 6000.0, 900.0, 14000.0, 3500.0, 8000.0, 1300.0]
    return f"{day},{he}," + ",".join(f"{z:.2f}" for z in zones) + f",{sum(zones):.2f},N"


def ercot() -> dict[str, bytes]:
    """ERCOT landing CSVs of the three reports with bad rows, drift, encodings and empty files."""
    sl = "landing/ercot/system_load/2024/07/15/"
    sp = "landing/ercot/spp_realtime/2024/07/15/"
    fm = "landing/ercot/fuel_mix/2024/07/16/"
    day = "07/15/2024"
    labels = [f"{m // 60}:{m % 60:02d}" for m in range(15, 24 * 60 + 1, 15)]
    fuel_header = "Date,Fuel,Settlement Type,Total," + ",".join(labels)
    wind = [9000.0 + i for i in range(96)]
    solar = [4000.0 + i for i in range(96)]
    solar[40] = -6000.0  # physically impossible negative generation in one interval
    return {
        sl + "system_load_20240715_0100.csv": _lines(
            ERCOT_LOAD_HEADER,
            _load_row(day, "01:00"),
            _load_row(day, "02:00"),
            _load_row(day, "03:00", coast=-50.0),  # negative load in one zone (and a lower TOTAL)
            f"{day},ab:00,abc,1,1,1,1,1,1,1,1,N",  # changed types
            f"{day},05:00,1,2,3",  # wrong field count
            _load_row(day, "01:00"),  # duplicate line
            _load_row("07/15/2099", "01:00"),  # future day
            _load_row("07/15/1999", "01:00"),  # before 2000
        ),
        # Semicolon-delimited: the header is one unknown column, so every row is quarantined.
        sl + "system_load_20240715_0200.csv": _lines(
            ERCOT_LOAD_HEADER.replace(",", ";"), _load_row(day, "04:00").replace(",", ";")
        ),
        sl + "system_load_20240715_0300.csv": b"",  # zero bytes
        sp + "spp_realtime_20240715_1300.csv": _lines(
            SPP_HEADER,
            f"{day},10,1,HB_WEST,HU,31.50,N",
            f"{day},10,1,HB_SOUTH,HU,28.00,N",
            f"{day},10,2,HB_WEST,HU,9999.00,N",  # above the price cap
            f"{day},10,3,HB_WEST,HU,N/A,N",  # changed type
            f"{day},10,4,,HU,30.00,N",  # null key
            f"{day},10,1,HB_WEST,HU,31.50,N",  # duplicate
            f'{day},10,2,"HB_SOUTH,HU,29.00,N',  # unbalanced quote
        )
        + f"{day},10,3,HB_NORT\xc9,HU,30.00,N\n".encode("latin-1"),  # Latin-1 name
        # Schema drift: a renamed column, and an extra column.
        sp + "spp_realtime_20240715_1315.csv": _lines(
            SPP_HEADER.replace("SettlementPointName", "SettlementPoint"), f"{day},11,1,HB_WEST,HU,31.00,N"
        ),
        sp + "spp_realtime_20240715_1330.csv": _lines(
            SPP_HEADER + ",RepeatedHourFlag", f"{day},11,2,HB_WEST,HU,31.00,N,N"
        ),
        # UTF-8 BOM, CRLF line ends and quoted fields: all valid.
        sp + "spp_realtime_20240715_1345.csv": BOM
        + _lines(
            SPP_HEADER, f'"{day}","11","3","HB_WEST","HU","31.25","N"', f"{day},11,4,HB_WEST,HU,31.75,N", crlf=True
        ),
        sp + "spp_realtime_20240715_1400.csv": _lines(SPP_HEADER),  # header only
        fm + "fuel_mix_20240716_0005.csv": _lines(
            fuel_header,
            f"{day},Wind,FINAL,{sum(wind) / 4:.1f}," + ",".join(f"{v:.1f}" for v in wind),
            f"{day},Solar,FINAL,{sum(solar) / 4:.1f}," + ",".join(f"{v:.1f}" for v in solar),
            f"{day},Gas-CC,FINAL,1.0,1.0,2.0",  # truncated row
        ),
    }


def openmeteo_doc(start_hour: int, hours: int, *, temp_f: bool = False, **override: list) -> str:
    """An Open-Meteo response for 2024-07-15 from ``start_hour``, km/h winds (the API default)."""
    times = [f"2024-07-15T{h:02d}:00" for h in range(start_hour, start_hour + hours)]
    hourly = {
        "time": times,
        "temperature_2m": [77.0 if temp_f else 25.0] * hours,
        "wind_speed_10m": [18.0] * hours,
        "wind_speed_100m": [36.0] * hours,
        "shortwave_radiation": [500.0] * hours,
        "cloud_cover": [20.0] * hours,
    }
    hourly.update(override)
    units = {
        "time": "iso8601",
        "temperature_2m": "°F" if temp_f else "°C",
        "wind_speed_10m": "km/h",
        "wind_speed_100m": "km/h",
        "shortwave_radiation": "W/m²",
        "cloud_cover": "%",
    }
    return json.dumps(
        {"latitude": 32.44, "longitude": -100.54, "utc_offset_seconds": 0, "hourly_units": units, "hourly": hourly}
    )


def openmeteo() -> dict[str, bytes]:
    """Open-Meteo landing JSON: overlap (archive beats forecast), impossible values, drift, broken files."""
    a = "landing/openmeteo/archive/WF-ROSCOE/2024/07/16/"
    f = "landing/openmeteo/forecast/WF-ROSCOE/2024/07/14/"
    return {
        a + "0100.json": openmeteo_doc(0, 6).encode(),
        f + "1200.json": openmeteo_doc(4, 4, temp_f=True).encode(),  # hours 4-5 lose to the archive
        # Hour 8: -5 km/h wind; hour 9: 99 °C; hour 10: cloud cover 140 %.
        f + "1300.json": openmeteo_doc(
            8,
            3,
            wind_speed_10m=[-5.0, 18.0, 18.0],
            temperature_2m=[25.0, 99.0, 25.0],
            cloud_cover=[20.0, 20.0, 140.0],
        ).encode(),
        f + "1400.json": b'{"hourly": {"time": ["2024-07-15T11:00"',  # truncated
        f + "1500.json": b"",  # zero bytes
        # Schema drift: wind_speed_100m renamed; the file's hours have that column missing.
        f + "1600.json": openmeteo_doc(12, 2).replace("wind_speed_100m", "wind_speed_120m").encode(),
        f + "1700.json": openmeteo_doc(14, 2, temperature_2m=["warm", 25.0]).encode(),  # changed type
        BOM_KEY: BOM + openmeteo_doc(16, 1).encode(),  # UTF-8 BOM
    }


BOM_KEY = "landing/openmeteo/forecast/WF-ROSCOE/2024/07/14/1800.json"

DMS_HEADERS = {
    "customers": "Op,dms_commit_ts,customer_id,name,email,phone,address,segment,region,created_at,updated_at",
    "providers": "Op,dms_commit_ts,provider_id,name,energy_type,capacity_mw,region,contact_email,created_at,updated_at",
    "transactions": "Op,dms_commit_ts,transaction_id,provider_id,customer_id,contract_id,energy_mwh,price_per_mwh,amount,status,transaction_ts,updated_at",
}


def _tx(
    op: str,
    commit: str,
    tid: object,
    energy: str = "10.0000",
    status: str = "settled",
    ts: str = "2024-07-15 01:00:00",
    updated: str | None = None,
) -> str:
    return f"{op},{commit},{tid},10,1,,{energy},40.0000,400.0000,{status},{ts},{updated or commit[:19]}"


def dms() -> dict[str, bytes]:
    """DMS full-load and CDC CSVs: out-of-order and duplicated CDC files, bad ops, drift, encodings."""
    base = "landing/dms/trading/"
    c, p, t = base + "customers/", base + "providers/", base + "transactions/"
    load_ts = "2024-07-15 08:00:00.000000"
    cust = [
        f'I,{load_ts},1,Ana Ruiz,ana@example.com,+1-555-0101,"12 Oak St, Austin",residential,COAST,2024-01-01 00:00:00,2024-01-01 00:00:00',
        f"I,{load_ts},2,Acme Corp,ops@acme.example,,,commercial,NORTH_C,2024-01-02 00:00:00,2024-01-02 00:00:00",
        f"I,{load_ts},,No Key Inc,x@example.com,,,commercial,WEST,2024-01-02 00:00:00,2024-01-02 00:00:00",  # null key
        f"I,{load_ts},abc,Bad Id,x@example.com,,,commercial,WEST,2024-01-02 00:00:00,2024-01-02 00:00:00",  # changed type
        f"I,{load_ts},4,Quarry LLC,q@example.com,,,mining,WEST,2024-01-02 00:00:00,2024-01-02 00:00:00",  # not allowed
    ]
    tx_load = [
        _tx("I", load_ts, 100 + i, ts=f"2024-07-15 0{i}:00:00", updated="2024-07-15 00:00:00") for i in range(1, 5)
    ]
    later = [  # the later-named file holds the earlier commits (files arrive out of order)
        _tx("U", "2024-07-15 09:05:00.000000", 101, energy="11.5000"),
        _tx("D", "2024-07-15 09:06:00.000000", 102),
        _tx("X", "2024-07-15 09:07:00.000000", 103),  # unknown op
        _tx("U", "2024-07-15 09:08:00.000000", ""),  # null key
        _tx("U", "2024-07-15 09:09:00.000000", 104, energy="-3.0000"),  # negative energy
        _tx("U", "2024-07-15 09:09:30.000000", 104, status="refunded"),  # not an allowed status
    ]
    earlier = [
        _tx("U", "2024-07-15 09:01:00.000000", 101, energy="99.0000", status="pending"),  # loses to 09:05
        _tx("I", "2024-07-15 09:02:00.000000", 200, ts="2024-07-16 04:00:00"),
        _tx("U", "2024-07-15 09:03:00.000000", 200, energy="6.0000", ts="2024-07-16 04:00:00"),
        _tx("I", "2024-07-15 09:04:00.000000", 201, ts="2024-07-16 05:00:00"),
        _tx("D", "2024-07-15 09:04:30.000000", 201),  # insert then delete in the same batch
    ]
    late = [  # run 2: a stale update older than the stored row, and a re-delivered insert
        _tx("U", "2024-07-15 08:30:00.000000", 101, energy="55.0000", updated="2024-07-15 08:30:00"),
        _tx("I", "2024-07-15 09:02:00.000000", 200, ts="2024-07-16 04:00:00"),
        _tx("U", "2024-07-15 10:00:00.000000", 103, energy="13.0000", ts="2024-07-15 03:00:00"),
    ]
    th = DMS_HEADERS["transactions"]
    return {
        c + "LOAD00000001.csv": _lines(DMS_HEADERS["customers"], *cust)
        + f"I,{load_ts},3,Jos\xe9 Pe\xf1a,jp@example.com,,,residential,WEST,2024-01-03 00:00:00,2024-01-03 00:00:00\n".encode(
            "latin-1"
        ),
        # CDC with a UTF-8 BOM and CRLF: valid.
        c + "20240715-090000000.csv": BOM
        + _lines(
            DMS_HEADERS["customers"],
            "U,2024-07-15 09:00:00.000000,2,Acme Corp,energy@acme.example,,,commercial,NORTH_C,2024-01-02 00:00:00,2024-07-15 09:00:00",
            crlf=True,
        ),
        c + "20240715-091000000.csv": _lines(
            DMS_HEADERS["customers"].replace(",", ";"), "D;2024-07-15 09:10:00.000000;1;;;;;;;;"
        ),
        p + "LOAD00000001.csv": _lines(
            DMS_HEADERS["providers"],
            f"I,{load_ts},10,Roscoe Wind LLC,wind,781.500,WEST,sales@roscoe.example,2023-06-01 00:00:00,2023-06-01 00:00:00",
            f"I,{load_ts},11,Ghost Power,wind,-5.000,WEST,,2023-06-01 00:00:00,2023-06-01 00:00:00",  # negative capacity
        ),
        # Schema drift at the source: a new column, and a missing one.
        p + "20240715-090000000.csv": _lines(
            DMS_HEADERS["providers"] + ",website",
            "I,2024-07-15 09:00:00.000000,12,New Wind,wind,100.000,WEST,,2024-07-15 09:00:00,2024-07-15 09:00:00,https://x",
        ),
        p + "20240715-090100000.csv": _lines(
            DMS_HEADERS["providers"].replace(",contact_email", ""),
            "I,2024-07-15 09:01:00.000000,13,Newer Wind,wind,100.000,WEST,2024-07-15 09:00:00,2024-07-15 09:01:00",
        ),
        t + "LOAD00000001.csv": _lines(th, *tx_load),
        t + "20240715-091000000.csv": _lines(th, *later),
        t + "20240715-090000000.csv": _lines(th, *earlier),
        t + "20240715-090000001.csv": _lines(th, *earlier),  # the same changes delivered twice
        t + "20240715-092000000.csv": _lines(
            th, _tx("U", "2024-07-15 09:20:00.000000", 101, energy="12.0000") + ',"extra'
        ),
        t + "20240715-093000000.csv": b"",  # zero bytes
        t + "20240715-094000000.csv": _lines(th),  # header only
        t + "20240716-080000000.csv": _lines(th, *late),
    }


def partner() -> dict[str, bytes]:
    """Partner meter readings as Kinesis payloads (one per file) for the writer Lambda."""
    ok = {
        "reading_id": "LSR-000123",
        "partner_id": "LONESTAR_RETAIL",
        "meter_id": "MTR-WF-ROSCOE-01",
        "site_id": "WF-ROSCOE",
        "reading_ts": "2024-07-15T10:15:00-05:00",
        "interval_minutes": 15,
        "energy_kwh": 48211.5,
    }
    drop = {k: v for k, v in ok.items() if k != "meter_id"}
    return {
        "partner/01-good.json": json.dumps(ok).encode(),
        "partner/02-redelivered.json": json.dumps(ok).encode(),
        "partner/03-negative-energy.json": json.dumps({**ok, "reading_id": "LSR-000124", "energy_kwh": -1}).encode(),
        "partner/04-future.json": json.dumps(
            {**ok, "reading_id": "LSR-000125", "reading_ts": "2099-01-01T00:00:00Z"}
        ).encode(),
        "partner/05-before-2000.json": json.dumps(
            {**ok, "reading_id": "LSR-000126", "reading_ts": "1999-12-31T23:45:00Z"}
        ).encode(),
        "partner/06-truncated.json": json.dumps(ok).encode()[:40],
        "partner/07-latin1.json": json.dumps(
            {**ok, "reading_id": "LSR-000127", "meter_id": "MTR-PEÑA"}, ensure_ascii=False
        ).encode("latin-1"),
        "partner/08-missing-key.json": json.dumps(drop).encode(),
        "partner/09-renamed.json": json.dumps({**drop, "meter": "MTR-1"}).encode(),
        "partner/10-oversized.json": json.dumps({**ok, "reading_id": "LSR-000128", "notes": "x" * 20_000}).encode(),
        "partner/11-changed-type.json": json.dumps(
            {**ok, "reading_id": "LSR-000129", "energy_kwh": "48211.5"}
        ).encode(),
        "partner/12-empty.json": b"",
        "partner/13-second.json": json.dumps(
            {**ok, "reading_id": "LSR-000130", "reading_ts": "2024-07-15T10:30:00-05:00"}
        ).encode(),
    }


def corpus() -> dict[str, bytes]:
    """Every corpus file: path relative to corpus/ -> bytes."""
    files: dict[str, bytes] = {}
    for part in (telemetry(), ercot(), openmeteo(), dms(), partner()):
        files.update(part)
    return files


def write(target: Path = CORPUS) -> list[Path]:
    """Write the corpus under ``target`` (stale files are removed); returns the paths written."""
    files = corpus()
    if target.exists():
        for old in sorted(target.rglob("*"), reverse=True):
            if old.is_file() and old.name != "manifest.yaml" and old.relative_to(target).as_posix() not in files:
                old.unlink()
    out = []
    for rel, data in sorted(files.items()):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out.append(path)
    return out


if __name__ == "__main__":
    written = write(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS)
    print(f"wrote {len(written)} corpus files")
