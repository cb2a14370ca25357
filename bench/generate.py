"""Deterministic benchmark data: raw telemetry JSON, ERCOT/Open-Meteo landing files and DMS trading CDC CSV.

Everything is derived from (seed, size): each output file gets its own random generator seeded from the
file's identity, so the bytes do not depend on the order of generation, and files are written line by
line (the generator never holds more than one file's worth of state, whatever the target size).

Telemetry carries a realistic share of problems that the transform must handle:
  * bad records (~2%): malformed JSON, missing fields, wrong types, unknown metric, out-of-range values,
    unparseable or pre-2000 timestamps;
  * exact duplicates (~1%): Firehose/producer retries re-deliver a recent line;
  * late records (~1%): event time 1-47 hours before the hour folder they land in.
On-time timestamps lie on a millisecond grid unique per (device, metric); late ones carry non-zero
microseconds, so the only primary-key collisions are the exact duplicates (a comparison of engines
therefore does not depend on which duplicate wins).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import random
import re
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

from energylake.dms import load_file_name

MIB = 1024 * 1024
DEFAULT_START = date(2024, 5, 1)

# Seed wind-farm format: type name -> (low, high, decimals) of good values.
SEED_METRICS = {
    "powerFactor": (0.80, 1.0, 4),
    "temperature": (5.0, 65.0, 2),
    "hydraulicPressure": (150.0, 260.0, 2),
}
# Richer device format: metrics key -> (low, high, decimals); which keys a device reports depends on its site type.
RICH_METRICS = {
    "active_power_mw": (0.0, 4.5, 3),
    "wind_speed_ms": (2.0, 25.0, 2),
    "rotor_speed_rpm": (4.0, 16.0, 2),
    "power_factor": (0.85, 1.0, 4),
    "battery_temperature_c": (5.0, 65.0, 2),
    "hydraulic_pressure_bar": (150.0, 260.0, 2),
    "irradiance_wm2": (0.0, 1100.0, 1),
}
WIND_KEYS = (
    "active_power_mw",
    "wind_speed_ms",
    "rotor_speed_rpm",
    "power_factor",
    "battery_temperature_c",
    "hydraulic_pressure_bar",
)
SOLAR_KEYS = ("active_power_mw", "power_factor", "battery_temperature_c", "irradiance_wm2")

BAD_SHARE = 0.02
DUP_SHARE = 0.01
LATE_SHARE = 0.01
FILES_PER_HOUR_MAX = 12  # Firehose: 5-minute buffer interval
TARGET_FILE_BYTES = 2 * MIB
SETTLEMENT_POINTS = ("HB_HOUSTON", "HB_NORTH", "HB_SOUTH", "HB_WEST", "LZ_HOUSTON", "LZ_NORTH", "LZ_SOUTH", "LZ_WEST")
WEATHER_ZONES = ("COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_C", "SOUTHERN", "SOUTH_C", "WEST")
FUELS = ("Wind", "Solar", "Gas", "Gas-CC", "Coal", "Nuclear", "Hydro", "Biomass", "Other", "Storage")
TRADING_TABLES = ("providers", "customers", "contracts", "transactions")
CDC_FILE_ROWS = 50_000
LOAD_FILE_ROWS = 500_000  # rows per full-load file of a pre-existing CDC table
CDC_HISTORY_DAYS = 30  # days a pre-existing CDC table (generate_cdc's table_rows) spreads over

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B?)?\s*$", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """Bytes from '50MB', '1GB', '200k' or an int (binary multiples: 1MB = 1 MiB)."""
    if isinstance(text, int):
        return text
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"bad size {text!r}: use e.g. 50MB or 1GB")
    unit = (m.group(2) or "").upper().rstrip("B").rstrip("I")
    return int(float(m.group(1)) * {"": 1, "K": 1024, "M": MIB, "G": 1024 * MIB, "T": 1024**4}[unit])


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator seeded from the seed and a file identity (stable across Python versions)."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def load_sites() -> list[dict[str, str]]:
    """The lake's reference sites (site_id, site_type, ...)."""
    ref = resources.files("energylake.reference").joinpath("sites.csv")
    with ref.open() as fh:
        return list(csv.DictReader(fh))


@dataclass
class GenStats:
    """What one generation produced (written next to the data as manifest.json)."""

    seed: int
    target_bytes: int
    start: str
    days: int
    bytes: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    bad: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    late: dict[str, int] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        """Bytes of every generated data file."""
        return sum(self.bytes.values())

    def add(self, kind: str, nbytes: int, files: int = 1, records: int = 0) -> None:
        """Account one written file."""
        self.bytes[kind] = self.bytes.get(kind, 0) + nbytes
        self.files[kind] = self.files.get(kind, 0) + files
        self.records[kind] = self.records.get(kind, 0) + records


def _iso_ms(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _iso_us(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _TelemetryFile:
    """Writes one Firehose object of one telemetry source up to a byte budget."""

    def __init__(self, seed: int, source: str, sites: list[dict[str, str]], devices_per_site: int) -> None:
        self.seed = seed
        self.source = source
        self.devices = [
            (f"{s['site_id']}-T{n:02d}", s["site_id"], s["site_type"])
            for s in sites
            for n in range(1, devices_per_site + 1)
        ]

    def write(self, path: Path, start: datetime, window: timedelta, budget: int, stats: GenStats) -> None:
        """Write records with event times on a grid inside [start, start+window) until budget bytes."""
        rng = _rng(self.seed, self.source, start.isoformat())
        recent: deque[str] = deque(maxlen=64)
        per_rec = 105 if self.source == "windfarm" else 260
        lanes = len(self.devices) * (len(SEED_METRICS) if self.source == "windfarm" else 1)
        slots = max(1, math.ceil(budget / per_rec / lanes))
        # Even millisecond step: on-time grid points never collide across files (disjoint windows).
        step_ms = max(2, (int(window.total_seconds() * 1000) // (slots + 1)) // 2 * 2)
        written = records = bad = dup = late = i = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            while written < budget:
                roll = rng.random()
                if roll < DUP_SHARE and recent:
                    line = rng.choice(recent)
                    dup += 1
                elif roll < DUP_SHARE + BAD_SHARE:
                    line = self._bad(rng, start)
                    bad += 1
                else:
                    slot, lane = divmod(i, lanes)
                    i += 1
                    # The two sources share devices: device-format readings sit 1 ms off the seed grid.
                    offset = timedelta(milliseconds=(slot + 1) * step_ms + (self.source == "devices"))
                    if offset >= window:  # the grid is full: the budget estimate was low, stop here
                        break
                    ts = _iso_ms(start + offset)
                    if roll < DUP_SHARE + BAD_SHARE + LATE_SHARE:
                        # Late reading: 1-47 h old, microseconds off the on-time millisecond grid.
                        back = timedelta(hours=rng.randint(1, 47), microseconds=rng.randrange(1, 3_600_000_000))
                        ts = _iso_us(start - back)
                        late += 1
                    line = self._good(rng, lane, ts)
                    recent.append(line)
                fh.write(line)
                written += len(line.encode())
                records += 1
        stats.add(f"telemetry/{self.source}", written, records=records)
        stats.bad[self.source] = stats.bad.get(self.source, 0) + bad
        stats.duplicates[self.source] = stats.duplicates.get(self.source, 0) + dup
        stats.late[self.source] = stats.late.get(self.source, 0) + late

    def _good(self, rng: random.Random, lane: int, ts: str) -> str:
        if self.source == "windfarm":
            dev_idx, met_idx = divmod(lane, len(SEED_METRICS))
            device = self.devices[dev_idx][0]
            mtype = list(SEED_METRICS)[met_idx]
            lo, hi, nd = SEED_METRICS[mtype]
            return (
                f'{{"id": "{device}", "data": {round(rng.uniform(lo, hi), nd)}, "type": "{mtype}", "date": "{ts}"}}\n'
            )
        device, site, site_type = self.devices[lane]
        keys = WIND_KEYS if site_type == "wind" else SOLAR_KEYS
        metrics = ", ".join(f'"{k}": {round(rng.uniform(*RICH_METRICS[k][:2]), RICH_METRICS[k][2])}' for k in keys)
        fw = "3.2.1" if rng.random() < 0.8 else "3.3.0"
        return (
            f'{{"device_id": "{device}", "site_id": "{site}", "ts": "{ts}", "metrics": {{{metrics}}}, '
            f'"firmware": "{fw}"}}\n'
        )

    def _bad(self, rng: random.Random, start: datetime) -> str:
        lane = rng.randrange(len(self.devices) * (len(SEED_METRICS) if self.source == "windfarm" else 1))
        ts = _iso_ms(start + timedelta(milliseconds=2 * rng.randrange(1, 100_000) + 1))
        good = self._good(rng, lane, ts)
        kind = rng.randrange(6)
        if kind == 0:  # truncated by a crashing producer
            return good[: rng.randrange(10, len(good) - 5)] + "\n"
        rec = json.loads(good)
        if self.source == "windfarm":
            if kind == 1:
                del rec["id"]
            elif kind == 2:
                rec["data"] = "n/a"
            elif kind == 3:
                rec["type"] = "vibration"
            elif kind == 4:
                rec["data"] = 1.7 if rec["type"] == "powerFactor" else -50.0
            else:
                rec["date"] = rng.choice(["not-a-date", "1999-12-31T23:59:59.000Z"])
        else:
            if kind == 1:
                del rec["ts"]
            elif kind == 2:
                rec["metrics"]["power_factor"] = "n/a"
            elif kind == 3:
                del rec["device_id"]
            elif kind == 4:
                rec["metrics"]["active_power_mw"] = 95.0
            else:
                rec["ts"] = rng.choice(["yesterday", "1999-12-31T23:59:59.000Z"])
        return json.dumps(rec) + "\n"


def _firehose_name(stream: str, ts: datetime, rng: random.Random) -> str:
    return f"{stream}-1-{ts:%Y-%m-%d-%H-%M-%S}-{rng.getrandbits(64):016x}"


def generate_telemetry(
    root: Path, seed: int, nbytes: int, start: date, days: int, stats: GenStats, devices_per_site: int = 20
) -> None:
    """raw/telemetry/<windfarm|devices>/YYYY/MM/DD/HH/<firehose object>, half the bytes each."""
    sites = load_sites()
    hours = days * 24
    for source in ("windfarm", "devices"):
        writer = _TelemetryFile(seed, source, sites, devices_per_site)
        per_hour = nbytes / 2 / hours
        nfiles = max(1, min(FILES_PER_HOUR_MAX, math.ceil(per_hour / TARGET_FILE_BYTES)))
        window = timedelta(minutes=60 / nfiles)
        for h in range(hours):
            hour = datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(hours=h)
            for k in range(nfiles):
                fstart = hour + k * window
                name = _firehose_name(f"energylake-{source}", fstart + window, _rng(seed, source, "name", h, k))
                path = root / "raw" / "telemetry" / source / f"{hour:%Y/%m/%d/%H}" / name
                writer.write(path, fstart, window, int(per_hour / nfiles), stats)


def generate_ercot(root: Path, seed: int, start: date, days: int, stats: GenStats) -> None:
    """landing/ercot/<report>/YYYY/MM/DD/<report>_YYYYMMDD_HHMM.csv in ERCOT's CSV shapes."""
    for d in range(days):
        day = start + timedelta(days=d)
        rng = _rng(seed, "ercot", day.isoformat())
        base = root / "landing" / "ercot"
        # Hourly system load by weather zone, published once per day.
        rows = [["OperDay", "HourEnding", *WEATHER_ZONES, "TOTAL", "DSTFlag"]]
        for he in range(1, 25):
            zones = [round(rng.uniform(1500, 22000), 2) for _ in WEATHER_ZONES]
            rows.append([f"{day:%m/%d/%Y}", f"{he:02d}:00", *zones, round(sum(zones), 2), "N"])
        _write_csv(
            base / "system_load" / f"{day:%Y/%m/%d}" / f"system_load_{day:%Y%m%d}_0000.csv", rows, stats, "ercot"
        )
        # Real-time settlement point prices, one file per hour with four 15-minute intervals.
        for hour in range(24):
            rows = [["DeliveryDate", "DeliveryHour", "DeliveryInterval", "SettlementPointName",
                     "SettlementPointType", "SettlementPointPrice", "DSTFlag"]]  # fmt: skip
            for interval in range(1, 5):
                for sp in SETTLEMENT_POINTS:
                    price = round(rng.lognormvariate(3.4, 0.5), 2)
                    rows.append([f"{day:%m/%d/%Y}", hour + 1, interval, sp, sp[:2], price, "N"])
            name = f"spp_realtime_{day:%Y%m%d}_{hour:02d}00.csv"
            _write_csv(base / "spp_realtime" / f"{day:%Y/%m/%d}" / name, rows, stats, "ercot")
        # Fuel mix in 15-minute intervals, one file per day.
        rows = [["IntervalStart", "FuelType", "GenerationMW"]]
        for q in range(96):
            ts = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=15 * q)
            rows.extend([[ts.strftime("%Y-%m-%dT%H:%M:%SZ"), f, round(rng.uniform(0, 30000), 1)] for f in FUELS])
        _write_csv(base / "fuel_mix" / f"{day:%Y/%m/%d}" / f"fuel_mix_{day:%Y%m%d}_0000.csv", rows, stats, "ercot")


def generate_openmeteo(root: Path, seed: int, start: date, days: int, stats: GenStats) -> None:
    """landing/openmeteo/archive/<site_id>/YYYY/MM/DD/0000.json, Open-Meteo hourly API responses."""
    for site in load_sites():
        for d in range(days):
            day = start + timedelta(days=d)
            rng = _rng(seed, "openmeteo", site["site_id"], day.isoformat())
            times = [f"{day:%Y-%m-%d}T{h:02d}:00" for h in range(24)]
            hourly = {
                "time": times,
                "temperature_2m": [round(rng.uniform(10, 38), 1) for _ in times],
                "wind_speed_10m": [round(rng.uniform(0, 15), 1) for _ in times],
                "wind_speed_100m": [round(rng.uniform(2, 22), 1) for _ in times],
                "shortwave_radiation": [round(max(0.0, 900 * math.sin(math.pi * (h - 6) / 14)), 1) for h in range(24)],
                "cloud_cover": [rng.randrange(0, 101) for _ in times],
            }
            doc = {
                "latitude": float(site["latitude"]),
                "longitude": float(site["longitude"]),
                "timezone": "GMT",
                "hourly_units": {"time": "iso8601", "temperature_2m": "°C", "wind_speed_10m": "m/s",
                                 "wind_speed_100m": "m/s", "shortwave_radiation": "W/m²", "cloud_cover": "%"},
                "hourly": hourly,
            }  # fmt: skip
            path = root / "landing" / "openmeteo" / "archive" / site["site_id"] / f"{day:%Y/%m/%d}" / "0000.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(doc)
            path.write_text(text, encoding="utf-8")
            stats.add("openmeteo", len(text.encode()), records=24)


def _write_csv(path: Path, rows: list[list[object]], stats: GenStats, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    stats.add(kind, path.stat().st_size, records=len(rows) - 1)


# ---------------------------------------------------------------- trading CDC (DMS S3 target CSV)

_DMS_COLUMNS = {
    "providers": ["provider_id", "name", "energy_type", "capacity_mw", "region", "contact_email", "created_at",
                  "updated_at"],
    "customers": ["customer_id", "name", "email", "phone", "address", "segment", "region", "created_at",
                  "updated_at"],
    "contracts": ["contract_id", "provider_id", "customer_id", "start_date", "end_date", "price_per_mwh",
                  "volume_mwh", "status", "created_at", "updated_at"],
    "transactions": ["transaction_id", "provider_id", "customer_id", "contract_id", "energy_mwh", "price_per_mwh",
                     "amount", "status", "transaction_ts", "updated_at"],
}  # fmt: skip


def _dms_ts(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S.%f")


class _Trading:
    """Row factories for the trading tables (deterministic given the generator)."""

    def __init__(self, n_providers: int, n_customers: int) -> None:
        self.n_providers = n_providers
        self.n_customers = n_customers

    def row(self, table: str, key: int, rng: random.Random, ts: datetime, status: str | None = None) -> list[object]:
        """One row of `table` with primary key `key`, changed at ts."""
        t = _dms_ts(ts)
        if table == "providers":
            return [key, f"Provider {key}", rng.choice(["wind", "solar", "hydro", "gas"]),
                    f"{rng.uniform(5, 900):.3f}", rng.choice(WEATHER_ZONES), f"ops{key}@example.com", t, t]  # fmt: skip
        if table == "customers":
            return [key, f"Customer {key}", f"c{key}@mail.example", f"+1-512-555-{key % 10000:04d}",
                    f"{key} Main St, Austin TX", rng.choice(["residential", "commercial", "industrial"]),
                    rng.choice(WEATHER_ZONES), t, t]  # fmt: skip
        if table == "contracts":
            return [key, rng.randrange(1, self.n_providers + 1), rng.randrange(1, self.n_customers + 1),
                    f"{ts.date()}", "", f"{rng.uniform(20, 90):.4f}", f"{rng.uniform(10, 50000):.4f}",
                    status or "active", t, t]  # fmt: skip
        energy = rng.uniform(0.1, 500)
        price = rng.uniform(-20, 300)
        return [key, rng.randrange(1, self.n_providers + 1), rng.randrange(1, self.n_customers + 1),
                rng.randrange(1, max(2, self.n_customers // 2)), f"{energy:.4f}", f"{price:.4f}",
                f"{energy * price:.4f}", status or "pending", t, t]  # fmt: skip


def generate_cdc(
    root: Path,
    seed: int,
    changes: int,
    start: date,
    stats: GenStats,
    table_rows: int | None = None,
    history_days: int = CDC_HISTORY_DAYS,
) -> None:
    """landing/dms/trading/<table>/LOAD00000001.csv (full load) and CDC files totalling `changes` rows.

    The CDC batch is mostly transactions (inserts, status updates, some deletes) with several changes to the
    same key inside one batch, so the apply must order by dms_commit_ts. Full load holds changes/4 keys.

    With ``table_rows`` the full load is a pre-existing table instead, written under ``history/`` (the bench
    applies it untimed, then times the CDC batch against it): ``table_rows`` transactions spread evenly over the
    ``history_days`` days before ``start`` (keys in time order, one partition per day), and the batch's deletes
    hit recent keys like its updates do (a trading source settles, cancels and deletes recent transactions; a
    uniform pick would delete from every day of history).
    """
    base_keys = {"providers": 50, "customers": max(100, changes // 40), "contracts": max(50, changes // 80)}
    base_keys["transactions"] = table_rows if table_rows else max(100, changes // 4)
    model = _Trading(base_keys["providers"], base_keys["customers"])
    t0 = datetime(start.year, start.month, start.day)
    load_root = root / ("history" if table_rows else "landing") / "dms" / "trading"
    span = timedelta(days=history_days)
    for table in TRADING_TABLES:
        rng = _rng(seed, "dms-load", table)
        header = ["Op", "dms_commit_ts", *_DMS_COLUMNS[table]]
        per_file = LOAD_FILE_ROWS if table_rows else base_keys[table]  # DMS splits a big full load into files
        for number, first in enumerate(range(1, base_keys[table] + 1, per_file), start=1):
            rows = [header] + [
                ["I", _dms_ts(t0), *model.row(table, k, rng, _load_ts(t0, k, base_keys[table], table_rows, span))]
                for k in range(first, min(first + per_file, base_keys[table] + 1))
            ]
            _write_csv(load_root / table / load_file_name(number), rows, stats, f"dms/{table}")
    # CDC: table chosen by weight; ops by kind; timestamps strictly increasing by 1 ms steps + jitter.
    next_key = dict(base_keys)
    live: dict[str, list[int]] = {t: list(range(1, base_keys[t] + 1)) for t in TRADING_TABLES}
    rng = _rng(seed, "dms-cdc")
    weights = (("transactions", 0.85), ("contracts", 0.08), ("customers", 0.06), ("providers", 0.01))
    ts = t0 + timedelta(hours=1)
    written = 0
    file_no = 0
    while written < changes:
        batch = min(CDC_FILE_ROWS, changes - written)
        per_table: dict[str, list[list[object]]] = {t: [] for t in TRADING_TABLES}
        name = f"{ts:%Y%m%d-%H%M%S}{ts.microsecond // 1000:03d}.csv"
        for _ in range(batch):
            ts += timedelta(microseconds=rng.randrange(500, 3000))
            r = rng.random()
            table = next(t for t, w in _cumulative(weights) if r < w)
            op_roll = rng.random()
            keys = live[table]
            if op_roll < 0.5 or not keys:
                next_key[table] += 1
                key = next_key[table]
                keys.append(key)
                per_table[table].append(["I", _dms_ts(ts), *model.row(table, key, rng, ts)])
            elif op_roll < 0.92:
                # Recent keys are likelier to change again (settling a fresh transaction).
                key = keys[-1 - min(len(keys) - 1, int(rng.expovariate(1 / 200)))]
                status = rng.choice(["settled", "cancelled"]) if table == "transactions" else None
                per_table[table].append(["U", _dms_ts(ts), *model.row(table, key, rng, ts, status)])
            elif table_rows:
                key = keys.pop(-1 - min(len(keys) - 1, int(rng.expovariate(1 / 2000))))
                per_table[table].append(["D", _dms_ts(ts), *model.row(table, key, rng, ts)])
            else:
                key = keys.pop(rng.randrange(len(keys)))
                per_table[table].append(["D", _dms_ts(ts), *model.row(table, key, rng, ts)])
        for table, rows in per_table.items():
            if rows:
                path = root / "landing" / "dms" / "trading" / table / name
                _write_csv(path, [["Op", "dms_commit_ts", *_DMS_COLUMNS[table]], *rows], stats, f"dms/{table}")
        stats.records["cdc_changes"] = stats.records.get("cdc_changes", 0) + batch
        written += batch
        file_no += 1
        ts += timedelta(seconds=60)


def _load_ts(t0: datetime, key: int, keys: int, table_rows: int | None, span: timedelta) -> datetime:
    """Full-load row time: the day before ``t0``, or (a pre-existing table) key order spread over ``span``."""
    if not table_rows:
        return t0 - timedelta(days=1)
    return t0 - span + span * ((key - 1) / keys)


def _cumulative(weights: tuple[tuple[str, float], ...]) -> list[tuple[str, float]]:
    acc = 0.0
    out = []
    for name, w in weights:
        acc += w
        out.append((name, acc))
    out[-1] = (out[-1][0], 1.0)
    return out


def generate(
    out: Path,
    seed: int = 7,
    size: int | str = "1GB",
    days: int = 1,
    start: date = DEFAULT_START,
    cdc_changes: int | None = None,
    devices_per_site: int = 20,
) -> GenStats:
    """Write the whole benchmark input under `out` (landing/ and raw/) and return what was written.

    ERCOT, Open-Meteo and the DMS CDC files are written first; telemetry fills the rest of the size budget.
    cdc_changes defaults to 1 million per GiB of target size (1 million at the default 1 GB).
    """
    target = parse_size(size)
    out = Path(out)
    stats = GenStats(seed=seed, target_bytes=target, start=start.isoformat(), days=days)
    if cdc_changes is None:
        cdc_changes = max(1000, round(1_000_000 * target / (1024 * MIB)))
    generate_ercot(out, seed, start, days, stats)
    generate_openmeteo(out, seed, start, days, stats)
    generate_cdc(out, seed, cdc_changes, start, stats)
    remaining = max(target - stats.total_bytes, target // 2)
    generate_telemetry(out, seed, remaining, start, days, stats, devices_per_site)
    (out / "manifest.json").write_text(json.dumps(asdict(stats), indent=2, sort_keys=True))
    return stats


def generate_history(
    out: Path, seed: int, per_day: int | str, days: int = 31, start: date = DEFAULT_START, devices_per_site: int = 20
) -> GenStats:
    """Telemetry only, `days` days of `per_day` bytes each (the incremental-cost benchmark's input)."""
    nbytes = parse_size(per_day)
    stats = GenStats(seed=seed, target_bytes=nbytes * days, start=start.isoformat(), days=days)
    generate_telemetry(Path(out), seed, nbytes * days, start, days, stats, devices_per_site)
    return stats


def tree_digest(root: Path) -> str:
    """sha256 over every file's relative path and bytes (the generator's determinism check)."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()
