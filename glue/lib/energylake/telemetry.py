"""Wind-farm (seed) and IoT device telemetry: raw JSON lines to typed, normalised telemetry_readings rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, TimestampType

from energylake.contracts import get_contract
from energylake.frames import materialise
from energylake.lineage import FILE_NO, SourceFiles, lineage_column
from energylake.parse import INVALID_ENCODING, LINEAGE, invalid_utf8, rejects
from energylake.quality import failing_rules, rule_failures
from energylake.units import to_canonical

# Seed `type` names -> normalised metric names; the seed format's units when no `unit` is given.
SEED_TYPES = {
    "powerFactor": "power_factor",
    "temperature": "battery_temperature",
    "hydraulicPressure": "hydraulic_pressure",
}
SEED_DEFAULT_UNITS = {"power_factor": "ratio", "battery_temperature": "degC", "hydraulic_pressure": "bar"}

# Device `metrics` keys -> (metric, unit as received); alternative units are converted to the canonical one.
DEVICE_METRIC_KEYS: dict[str, tuple[str, str]] = {
    "active_power_mw": ("active_power", "MW"),
    "active_power_kw": ("active_power", "kW"),
    "wind_speed_ms": ("wind_speed", "m/s"),
    "wind_speed_kmh": ("wind_speed", "km/h"),
    "rotor_speed_rpm": ("rotor_speed", "rpm"),
    "power_factor": ("power_factor", "ratio"),
    "battery_temperature_c": ("battery_temperature", "degC"),
    "battery_temperature_f": ("battery_temperature", "F"),
    "hydraulic_pressure_bar": ("hydraulic_pressure", "bar"),
    "hydraulic_pressure_psi": ("hydraulic_pressure", "psi"),
    "irradiance_wm2": ("irradiance", "W/m2"),
}

# Operating bands (inside the valid range) used to flag readings for maintenance in windfarm_daily_metrics.
OPERATING_BANDS: dict[str, tuple[float, float]] = {
    "power_factor": (0.9, 1.0),
    "battery_temperature": (0.0, 45.0),
    "hydraulic_pressure": (150.0, 250.0),
    "rotor_speed": (0.0, 20.0),
}

# The columns of a line that parse_lines hands to its line checks (rules reading only these are settled per line).
LINE_COLUMNS = ("device_id", "site_id", "event_ts", "ingested_ts")

DEVICE_KEY_METRICS = {key: metric for key, (metric, _) in DEVICE_METRIC_KEYS.items()}
DEVICE_KEY_UNITS = {key: unit for key, (_, unit) in DEVICE_METRIC_KEYS.items()}


def _lit_map(mapping: dict[str, str]) -> Column:
    return F.create_map(*[x for k, v in mapping.items() for x in (F.lit(k), F.lit(v))])


def site_from_device(device_id: Column) -> Column:
    """Site id from a device id '<site_id>-T<nn>' (null when the id does not follow the convention)."""
    # String functions, not regexp_extract ('^(.+)-T\\d+$'), which runs Java's regex engine on every line.
    turbine = F.substring_index(device_id, "-T", -1)
    numbered = (F.length(turbine) > 0) & (F.translate(turbine, "0123456789", "") == "")
    site_length = F.length(device_id) - F.length(turbine) - 2
    return F.when(numbered & (site_length > 0), device_id.substr(F.lit(1), site_length))


def _first_reason(*reasons: Column) -> Column:
    """The first non-null reason: a row is judged by the earliest check it fails, like a chain of filters."""
    return F.coalesce(*reasons)


def _joined(*checks: Column) -> Column:
    """Every failing check of one step joined by '; ' (null when all pass)."""
    joined = F.concat_ws("; ", *checks)
    return F.when(joined != "", joined)


def parse_lines(
    lines: DataFrame, line_checks: Callable[[Mapping[str, Column]], Mapping[str, Column]] | None = None
) -> DataFrame:
    """JSON lines of either format to one row per line: ids, event time, line-level checks and its readings' map.

    Each line is parsed once (a JSON object of its top-level keys: the unknown-key check and every field
    come from the same parse; a device record's ``metrics`` object is parsed once more as a small map).
    ``_entries`` maps each reading's key to its value as text: the device's metrics, or for a seed record its
    single (type -> data) entry (a line that failed, ``_line_reason``, is not exploded by ``tag_readings``).
    A seed record's metric, unit and type check are known per line, so they are settled here too;
    ``line_checks`` adds columns (named by its keys) computed from the line's ``LINE_COLUMNS``.
    """
    lineage = [lineage_column(lines), *LINEAGE[1:]]
    seed = [c.name for c in get_contract("raw_telemetry_seed").columns]
    device = [c.name for c in get_contract("raw_telemetry_device").columns]
    allowed = sorted({*seed, *device})
    # from_json cannot be compiled into whole-stage code, so the parse runs in projections of their own that
    # copy every line's row: the second one settles everything the parsed map is needed for (a map lookup
    # is a scan of the line's keys: each known key is looked up once and shared) and passes on columns.
    doc = F.col("_doc")
    looked_up = {key: doc[key] for key in allowed}
    # A line whose keys are all known keys with values has no unknown key; only the others (a key with a
    # null value, or an unknown one) need the count of known keys present, and array_except, which hashes
    # every key into a new set, only runs to name the unknown keys of a line that has some.
    known_values = sum((looked_up[key].isNotNull().cast("int") for key in allowed), F.lit(0))
    known_keys = sum((F.map_contains_key(doc, key).cast("int") for key in allowed), F.lit(0))
    has_unknown = (F.size(doc) > known_values) & (F.size(doc) > known_keys)
    unknown = F.array_except(F.map_keys(doc), F.array(*[F.lit(k) for k in allowed]))
    is_device = looked_up["device_id"].isNotNull() | looked_up["metrics"].isNotNull()
    device_id = F.when(is_device, looked_up["device_id"]).otherwise(looked_up["id"])
    site_id = F.when(is_device, F.coalesce(looked_up["site_id"], site_from_device(looked_up["device_id"]))).otherwise(
        site_from_device(looked_up["id"])
    )
    event_raw = utc_z(F.trim(F.when(is_device, looked_up["ts"]).otherwise(looked_up["date"])))
    event_ts = F.when(event_raw != "", event_raw).cast(TimestampType())
    # The line checks go here too: evaluated once per line, not once per reading.
    line = dict(zip(LINE_COLUMNS, (device_id, site_id, event_ts, F.col("ingested_ts")), strict=True))
    extra = line_checks(line) if line_checks else {}
    passed_on = ("id", "type", "data", "metrics", "unit")
    parsed = lines.select(*lineage, F.from_json("raw_record", "map<string,string>").alias("_doc")).select(
        *lineage,
        doc.isNull().alias("_malformed"),
        F.when(has_unknown, F.array_join(F.array_sort(unknown), ",")).alias("_unknown"),
        *[looked_up[key].alias(f"_f_{key}") for key in passed_on],
        is_device.alias("_is_device"),
        F.from_json(looked_up["metrics"], "map<string,string>").alias("_metrics"),
        device_id.alias("device_id"),
        site_id.alias("site_id"),
        event_ts.alias("event_ts"),
        _joined(*_cast_checks(event_raw, "timestamp", "event_ts")).alias("_event_checks"),
        *[check.alias(name) for name, check in extra.items()],
    )

    # The rest per line is compiled with the per-reading stage.
    field = {key: F.col(f"_f_{key}") for key in passed_on}
    metrics, dev = F.col("_metrics"), F.col("_is_device")
    line_reason = (
        F.when(invalid_utf8(F.col("raw_record")), F.lit(INVALID_ENCODING))
        .when(F.col("_malformed"), F.lit("malformed_json"))
        .when(F.col("_unknown").isNotNull(), F.concat(F.lit("unknown_columns:"), F.col("_unknown")))
        .when(
            dev & (field["id"].isNotNull() | field["type"].isNotNull() | field["data"].isNotNull()),
            F.lit("mixed_formats:seed and device fields in one record"),
        )
        .when(dev & field["metrics"].isNotNull() & metrics.isNull(), F.lit("malformed_json:metrics is not an object"))
        .when(dev & (field["metrics"].isNull() | (F.size(metrics) == 0)), F.lit("missing_required:metrics"))
    )
    entries = F.when(~dev, F.create_map(F.coalesce(field["type"], F.lit("")), field["data"])).otherwise(metrics)
    known_seed_metric = _lit_map(SEED_TYPES)[field["type"]]
    seed_metric = F.coalesce(known_seed_metric, F.concat(F.lit("?"), field["type"]))
    seed_reason = F.when(field["type"].isNull(), F.lit("missing_required:type")).when(
        seed_metric.startswith("?") & (seed_metric != "?"),
        F.concat(F.lit("unknown_metric_type:"), seed_metric.substr(F.lit(2), F.length(seed_metric))),
    )
    return parsed.select(
        *lineage,
        "_is_device",
        line_reason.alias("_line_reason"),
        "device_id",
        "site_id",
        "event_ts",
        "_event_checks",
        _joined(
            F.when(F.col("device_id").isNull(), F.lit("missing_required:device_id")),
            F.when(F.col("site_id").isNull(), F.lit("missing_required:site_id (device id is not <site>-T<nn>)")),
        ).alias("_id_reason"),
        F.when(~dev, seed_metric).alias("_seed_metric"),
        F.when(~dev, F.coalesce(field["unit"], _lit_map(SEED_DEFAULT_UNITS)[known_seed_metric])).alias("_seed_unit"),
        F.when(~dev, seed_reason).alias("_seed_reason"),
        entries.alias("_entries"),
        *extra,
    )


def utc_z(text: Column) -> Column:
    """ISO timestamp text with a trailing 'Z' after a digit dropped (the session time zone is UTC).

    Spark compiles a regular expression per value to resolve a zone suffix; dropping 'Z' avoids that.
    """
    zulu = text.endswith("Z") & F.substring(text, -2, 1).between("0", "9")
    return F.when(zulu, text.substr(F.lit(1), F.length(text) - 1)).otherwise(text)


def _cast_checks(raw: Column, dtype: str, name: str) -> list[Column]:
    """cast_columns' checks for one required string column: present but not castable, or missing."""
    present = raw.isNotNull() & (raw != "")
    return [
        F.when(present & raw.cast(dtype).isNull(), F.lit(f"invalid_type:{name}")),
        F.when(~present, F.lit(f"missing_required:{name}")),
    ]


def tag_readings(lines: DataFrame, now: datetime | None = None) -> DataFrame:
    """Raw telemetry lines to telemetry_readings rows with lineage and ``_reason`` (null = valid), in one pass.

    The checks run in the order of the former chain of filters (parse, format, cast, ids, unit, contract
    rules) and a row carries the reasons of the first step it fails, so quarantine reasons are unchanged.
    """
    contract = get_contract("telemetry_readings")
    # Rules reading a line's columns only are settled per line, before the explode: once per line, not per reading.
    per_line_rules = {
        i: [f"_line_rule_{i}_{name}" for name in rule.targets]
        for i, rule in enumerate(contract.quality)
        if rule.targets and set(rule.reads) <= set(LINE_COLUMNS)
    }

    def line_failures(line: Mapping[str, Column]) -> dict[str, Column]:
        checks = [(names, rule_failures(contract.quality[i], line, now)) for i, names in per_line_rules.items()]
        return {name: check for names, found in checks for name, check in zip(names, found, strict=True)}

    per_line = parse_lines(lines, line_failures)
    source = lineage_column(lines)
    passed = [source, "line_no", "raw_record", "ingested_ts", "device_id", "site_id", "event_ts"]
    line_rule_names = [name for names in per_line_rules.values() for name in names]
    readings = per_line.select(
        *passed,
        *line_rule_names,
        "_is_device",
        "_line_reason",
        "_event_checks",
        "_id_reason",
        "_seed_metric",
        "_seed_unit",
        "_seed_reason",
        # A line that failed stays one row. Its reason is tested here, on the column, not inside the per-line
        # projection: there Spark's optimizer rewrites `reason is not null` into a copy of the reason's
        # conditions (PushFoldableIntoBranches), which then ran twice per line.
        F.explode_outer(F.when(F.col("_line_reason").isNull(), F.col("_entries"))).alias("_entry_key", "value_raw"),
    )
    # After the explode every projection copies each reading, so the per-reading work is done in as few
    # projections as its dependencies allow (Spark keeps a projection apart when merging it would repeat
    # an expensive expression): naming and typing; reasons and units; contract rules; the final reason.
    key, dev, parsed_ok = F.col("_entry_key"), F.col("_is_device"), F.col("_line_reason").isNull()
    value_raw = F.trim(F.col("value_raw"))
    named = readings.select(
        *passed,
        *line_rule_names,
        "_line_reason",
        "_id_reason",
        "_is_device",
        "_seed_reason",
        F.when(parsed_ok & dev, key).alias("_key"),
        F.when(
            parsed_ok,
            F.when(dev, F.coalesce(_lit_map(DEVICE_KEY_METRICS)[key], F.concat(F.lit("?"), key))).otherwise(
                F.col("_seed_metric")
            ),
        ).alias("metric"),
        F.when(parsed_ok, F.when(dev, _lit_map(DEVICE_KEY_UNITS)[key]).otherwise(F.col("_seed_unit"))).alias(
            "unit_raw"
        ),
        F.when(value_raw != "", value_raw).cast(DoubleType()).alias("value"),
        _joined(*_cast_checks(value_raw, "double", "value"), F.col("_event_checks")).alias("_cast_reason"),
        F.to_date("event_ts").alias("event_date"),
    )
    metric = F.col("metric")
    device_reason = F.when(
        metric.startswith("?"), F.concat(F.lit("unknown_metric:"), metric.substr(F.lit(2), F.length(metric)))
    )
    value, unit = to_canonical(F.col("value"), F.col("unit_raw"), metric)
    typed = named.select(
        *passed,
        *line_rule_names,
        "_key",
        "metric",
        "unit_raw",
        "event_date",
        value.alias("value"),
        unit.alias("unit"),
        _first_reason(
            F.col("_line_reason"),
            F.when(dev, device_reason).otherwise(F.col("_seed_reason")),
            F.col("_cast_reason"),
            F.col("_id_reason"),
        ).alias("_reason"),
    )
    columns = ["device_id", "site_id", "metric", "value", "unit", "event_ts", "event_date"]
    settled = {position: [F.col(name) for name in names] for position, names in per_line_rules.items()}
    unit_reason = F.when(
        F.col("value").isNull(),
        F.concat(F.lit("unknown_unit:"), F.coalesce(F.col("unit_raw"), F.lit("<none>")), F.lit(" for "), metric),
    )
    # The contract's rules get a column of their own: Spark does not share a subexpression that only appears
    # in conditional branches, so `when(rules != "", rules)` inline would generate (and run) every check twice.
    checked = typed.select(
        *passed,
        "metric",
        "value",
        "unit",
        "event_date",
        "_key",
        _first_reason(F.col("_reason"), unit_reason).alias("_reason"),
        failing_rules({c: F.col(c) for c in columns}, contract, now, settled).alias("_rules"),
    )
    rules = F.col("_rules")
    reason = _first_reason(F.col("_reason"), F.when(rules != "", rules))
    # Quarantine needs the record as received (an exploded device reading: plus its key, to show which one
    # failed); valid rows do not carry it.
    raw = F.when(F.col("_key").isNotNull(), F.concat(F.col("raw_record"), F.lit(" #"), F.col("_key"))).otherwise(
        F.col("raw_record")
    )
    return checked.select(
        "line_no",
        F.when(F.col("_reason").isNotNull() | (rules != ""), raw).alias("raw_record"),
        "device_id",
        "site_id",
        "metric",
        "value",
        "unit",
        "event_ts",
        "ingested_ts",
        source,
        "event_date",
        reason.alias("_reason"),
    )


def telemetry_readings(
    lines: DataFrame, now: datetime | None = None, files: SourceFiles | None = None
) -> tuple[DataFrame, DataFrame]:
    """Raw telemetry lines to (valid telemetry_readings rows with lineage, quarantine rows).

    Lines read with their files numbered (``read_numbered_lines``) keep the number in the valid rows (the
    writer names the file again) and need ``files`` to name it in the quarantine rows.
    """
    # One materialisation feeds both outputs (and the job's counts): the lines are parsed once per run.
    tagged = materialise(tag_readings(lines, now))
    valid = tagged.where(F.col("_reason").isNull()).drop("_reason", "raw_record")
    failed = tagged.where(F.col("_reason").isNotNull())
    if FILE_NO in failed.columns:
        if files is None:
            raise ValueError(
                "the lines carry numbered source files (_file_no): pass the SourceFiles that numbered them"
            )
        failed = files.restore(failed)
    return valid, rejects(failed, "_reason")
