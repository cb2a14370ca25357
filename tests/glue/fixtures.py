"""Small realistic raw inputs for the Glue tests, generated deterministically (with deliberate bad records)."""
# ruff: noqa: E501 - fixture rows are kept one record per line, as the source files hold them

from __future__ import annotations

import json
from datetime import datetime, timedelta

T0 = datetime(2024, 7, 15, 10, 0, 0)


def seed_telemetry_lines() -> list[str]:
    """Seed wind-farm records {id, data, type, date}: 12 good, 1 duplicate, 4 bad."""
    lines = []
    for i in range(4):
        ts = (T0 + timedelta(minutes=10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(json.dumps({"id": "WF-ROSCOE-T01", "data": 0.93 + i * 0.01, "type": "powerFactor", "date": ts}))
        lines.append(json.dumps({"id": "WF-ROSCOE-T01", "data": 30.5 + i, "type": "temperature", "date": ts}))
        lines.append(
            json.dumps(
                {"id": "WF-ROSCOE-T02", "data": 2900 + i, "type": "hydraulicPressure", "date": ts, "unit": "psi"}
            )
        )
    lines.append(lines[0])  # exact duplicate (Firehose retry)
    lines.append('{"id": "WF-ROSCOE-T01", "data": 0.9, "type": "powerFactor"')  # truncated JSON
    lines.append(
        json.dumps({"id": "WF-ROSCOE-T01", "data": "n/a", "type": "temperature", "date": "2024-07-15T10:00:00Z"})
    )
    lines.append(
        json.dumps({"id": "WF-ROSCOE-T01", "data": 1.7, "type": "powerFactor", "date": "2024-07-15T11:00:00Z"})
    )
    lines.append(
        json.dumps(
            {"id": "WF-ROSCOE-T01", "data": 1, "type": "powerFactor", "date": "2024-07-15T11:10:00Z", "rssi": -70}
        )
    )
    return lines


def device_telemetry_lines() -> list[str]:
    """Rich device records: 3 records x 3 metrics (9 readings), one record with an unknown metric key."""
    lines = []
    for i in range(3):
        ts = (T0 + timedelta(minutes=20 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(
            json.dumps(
                {
                    "device_id": "WF-PAPALOTE-T03",
                    "site_id": "WF-PAPALOTE",
                    "ts": ts,
                    "metrics": {"active_power_mw": 1.2 + i * 0.3, "wind_speed_ms": 7.5 + i, "rotor_speed_rpm": 12.0},
                    "firmware": "2.4.1",
                }
            )
        )
    lines.append(
        json.dumps(
            {
                "device_id": "SF-TAYGETE-T01",
                "ts": T0.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "metrics": {"active_power_kw": 800, "voltage_v": 400},
            }
        )
    )
    return lines


def system_load_csv(day: str = "07/15/2024", hours: range = range(1, 25), bad_row: bool = True) -> str:
    """NP6-345-CD layout: one row per hour ending with the eight weather zones and TOTAL."""
    rows = ["OperDay,HourEnding,COAST,EAST,FAR_WEST,NORTH,NORTH_C,SOUTHERN,SOUTH_C,WEST,TOTAL,DSTFlag"]
    for he in hours:
        zones = [
            12000 + he * 100,
            1500 + he,
            6000 + he,
            900 + he,
            14000 + he * 50,
            3500 + he,
            8000 + he * 20,
            1300 + he,
        ]
        rows.append(f"{day},{he:02d}:00," + ",".join(f"{z:.2f}" for z in zones) + f",{sum(zones):.2f},N")
    if bad_row:
        rows.append(f"{day},ab:00,abc,1,1,1,1,1,1,1,1,N")
    return "\n".join(rows) + "\n"


def spp_csv(day: str = "07/15/2024", hours: range = range(10, 13)) -> str:
    """NP6-905-CD layout: 15-minute prices for two hubs and one load zone."""
    rows = [
        "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag"
    ]
    for hour in hours:
        for interval in range(1, 5):
            for point, kind, base in (("HB_WEST", "HU", 31.5), ("HB_SOUTH", "HU", 28.0), ("LZ_WEST", "LZ", 33.0)):
                rows.append(f"{day},{hour},{interval},{point},{kind},{base + hour + interval * 0.25:.2f},N")
    return "\n".join(rows) + "\n"


def fuel_mix_csv(day: str = "07/15/2024") -> str:
    """IntGenbyFuel layout: one row per fuel with 96 interval-ending columns."""
    labels = [f"{m // 60}:{m % 60:02d}" for m in range(15, 24 * 60 + 1, 15)]
    rows = ["Date,Fuel,Settlement Type,Total," + ",".join(labels)]
    for fuel, base in (("Wind", 9000.0), ("Solar", 4000.0), ("Gas-CC", 20000.0)):
        values = [base + i for i in range(96)]
        rows.append(f"{day},{fuel},FINAL,{sum(values) / 4:.1f}," + ",".join(f"{v:.1f}" for v in values))
    return "\n".join(rows) + "\n"


def openmeteo_json(start: str = "2024-07-15T00:00", hours: int = 24, kind_offset: float = 0.0) -> str:
    """An Open-Meteo response with km/h wind speeds (the API default) and UTC times."""
    base = datetime.fromisoformat(start)
    times = [(base + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M") for h in range(hours)]
    return json.dumps(
        {
            "latitude": 32.44,
            "longitude": -100.54,
            "utc_offset_seconds": 0,
            "timezone": "GMT",
            "hourly_units": {
                "time": "iso8601",
                "temperature_2m": "°C",
                "wind_speed_10m": "km/h",
                "wind_speed_100m": "km/h",
                "shortwave_radiation": "W/m²",
                "cloud_cover": "%",
            },
            "hourly": {
                "time": times,
                "temperature_2m": [25.0 + kind_offset + (h % 12) for h in range(hours)],
                "wind_speed_10m": [18.0 + h for h in range(hours)],
                "wind_speed_100m": [36.0 + h for h in range(hours)],
                "shortwave_radiation": [max(0.0, 800.0 - abs(h - 13) * 90) for h in range(hours)],
                "cloud_cover": [20 + h for h in range(hours)],
            },
        }
    )


DMS_HEADERS = {
    "customers": "Op,dms_commit_ts,customer_id,name,email,phone,address,segment,region,created_at,updated_at",
    "providers": "Op,dms_commit_ts,provider_id,name,energy_type,capacity_mw,region,contact_email,created_at,updated_at",
    "transactions": "Op,dms_commit_ts,transaction_id,provider_id,customer_id,contract_id,energy_mwh,price_per_mwh,amount,status,transaction_ts,updated_at",
}


def dms_full_load() -> dict[str, str]:
    """LOAD00000001.csv per table (Op=I on full load)."""
    ts = "2024-07-15 08:00:00.000000"
    customers = [
        f'I,{ts},1,Ana Ruiz,ana@example.com,+1-555-0101,"12 Oak St, Austin",residential,COAST,2024-01-01 00:00:00,2024-01-01 00:00:00',
        f"I,{ts},2,Acme Corp,ops@acme.example,,,commercial,NORTH_C,2024-01-02 00:00:00,2024-01-02 00:00:00",
        f"I,{ts},3,Big Steel,energy@bigsteel.example,,,industrial,WEST,2024-01-03 00:00:00,2024-01-03 00:00:00",
    ]
    providers = [
        f"I,{ts},10,Roscoe Wind LLC,wind,781.500,WEST,sales@roscoe.example,2023-06-01 00:00:00,2023-06-01 00:00:00",
        f"I,{ts},11,Taygete Solar LLC,solar,255.000,FAR_WEST,,2023-06-01 00:00:00,2023-06-01 00:00:00",
    ]
    transactions = []
    for i in range(1, 9):
        provider = 10 if i % 2 else 11
        customer = 1 + (i % 3)
        day = 14 + (i % 2)
        transactions.append(
            f"I,{ts},{100 + i},{provider},{customer},,{10 + i}.5000,{40 + i}.2500,{(10 + i + 0.5) * (40 + i + 0.25):.4f},settled,"
            f"2024-07-{day} 0{i}:00:00,2024-07-{day} 0{i}:00:00"
        )
    return {
        "customers": "\n".join([DMS_HEADERS["customers"], *customers]) + "\n",
        "providers": "\n".join([DMS_HEADERS["providers"], *providers]) + "\n",
        "transactions": "\n".join([DMS_HEADERS["transactions"], *transactions]) + "\n",
    }


def dms_cdc_transactions() -> tuple[str, str]:
    """Two CDC files, the later-named one holding the earlier commits (out of order), plus bad rows."""
    later = "\n".join(
        [
            DMS_HEADERS["transactions"],
            "U,2024-07-15 09:05:00.000000,101,10,2,,11.5000,41.2500,474.3750,settled,2024-07-15 01:00:00,2024-07-15 09:05:00",
            "D,2024-07-15 09:06:00.000000,102,11,3,,12.5000,42.2500,528.1250,settled,2024-07-14 02:00:00,2024-07-14 02:00:00",
            "X,2024-07-15 09:07:00.000000,103,10,1,,1.0000,1.0000,1.0000,settled,2024-07-15 03:00:00,2024-07-15 03:00:00",
            "U,2024-07-15 09:08:00.000000,,10,1,,1.0000,1.0000,1.0000,settled,2024-07-15 03:00:00,2024-07-15 03:00:00",
        ]
    )
    earlier = "\n".join(
        [
            DMS_HEADERS["transactions"],
            # The same key changed twice: the 09:05 update in the other file must win over this 09:01 one.
            "U,2024-07-15 09:01:00.000000,101,10,2,,99.0000,41.2500,4083.7500,pending,2024-07-15 01:00:00,2024-07-15 09:01:00",
            "I,2024-07-15 09:02:00.000000,200,11,1,,5.0000,30.0000,150.0000,pending,2024-07-16 04:00:00,2024-07-16 04:00:00",
        ]
    )
    return later + "\n", earlier + "\n"
