"""Wind-farm (seed) and IoT device telemetry: raw JSON lines to typed, normalised telemetry_readings rows."""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import NamedTuple

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, TimestampType

from energylake.contracts import get_contract
from energylake.frames import materialise
from energylake.jvm import json_object_fields, json_object_fields_from_map, json_object_map, uses_jvm_json_reader
from energylake.lineage import FILE_NO, SourceFiles, lineage_column
from energylake.parse import INVALID_ENCODING, LINEAGE, TRAILING_CONTENT, invalid_utf8, rejects
from energylake.quality import failing_rules, rule_failures
from energylake.telemetry_rules import (
    INVALID_TYPE,
    MALFORMED_JSON,
    MISSING_REQUIRED,
    MISSING_SITE,
    UNKNOWN_METRIC,
    UNKNOWN_METRIC_TYPE,
    UNKNOWN_UNIT,
    telemetry_rules,
)
from energylake.units import to_canonical

# The metric tables, from the telemetry rules (reference/telemetry_rules.yaml; the Firehose Lambda and the Flink
# job read the same rules as generated tables).
RULES = telemetry_rules()
# Seed `type` names (and aliases) -> normalised metric names; the seed format's unit when no `unit` is given.
SEED_TYPES = RULES.seed_types
SEED_DEFAULT_UNITS = {m.name: m.unit for m in RULES.metrics.values() if m.seed_type}

# Device `metrics` keys -> (metric, unit as received); alternative units are converted to the canonical one.
DEVICE_METRIC_KEYS: dict[str, tuple[str, str]] = RULES.device_keys

# Healthy bands (inside the valid range) used to flag readings for maintenance in windfarm_daily_metrics; the
# Flink job alerts on the same bands.
OPERATING_BANDS: dict[str, tuple[float, float]] = RULES.healthy_bands

# The columns of a line that parse_lines hands to its line checks (rules reading only these are settled per line).
LINE_COLUMNS = ("device_id", "site_id", "event_ts", "ingested_ts")

DEVICE_KEY_METRICS = {key: metric for key, (metric, _) in DEVICE_METRIC_KEYS.items()}
DEVICE_KEY_UNITS = {key: unit for key, (_, unit) in DEVICE_METRIC_KEYS.items()}


def _lit_map(mapping: dict[str, str]) -> Column:
    return F.create_map(*[x for k, v in mapping.items() for x in (F.lit(k), F.lit(v))])


@cache
def site_device_types() -> dict[str, str]:
    """Site id -> device type (the site's ``site_type`` in the packaged reference/sites.csv)."""
    text = resources.files("energylake.reference").joinpath("sites.csv").read_text(encoding="utf-8")
    return {row["site_id"]: row["site_type"] for row in csv.DictReader(text.splitlines())}


def site_sensors() -> Column:
    """Site id -> array of the metrics its devices measure (contract ``device_sensors``; null for unknown sites)."""
    sensors = get_contract("telemetry_readings").device_sensors
    pairs = [
        x
        for site, kind in sorted(site_device_types().items())
        if kind in sensors
        for x in (F.lit(site), F.array(*[F.lit(m) for m in sensors[kind]]))
    ]
    return F.create_map(*pairs)


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
    """JSON lines of either format to one row per line: ids, event time, line-level checks and its readings.

    Each line is read once, in one pass over its bytes (energylake.jvm.json_object_fields: its known keys, the
    unknown ones and a device record's ``metrics`` members). A device line's ``_entries`` are its readings (key,
    value as a number, or as text when it is not one); a seed line's one reading is ``_seed_number`` or
    ``_seed_text`` (a line that failed, ``_line_reason``, is not exploded by ``tag_readings``).
    A seed record's metric, unit and type check are known per line, so they are settled here too;
    ``line_checks`` adds columns (named by its keys) computed from the line's ``LINE_COLUMNS``.
    """
    lineage = [lineage_column(lines), *LINEAGE[1:]]
    seed = [c.name for c in get_contract("raw_telemetry_seed").columns]
    device = [c.name for c in get_contract("raw_telemetry_device").columns]
    allowed = sorted({*seed, *device})
    doc = F.col("_doc")
    text = {key: doc["text"][i] for i, key in enumerate(allowed)}
    has_metrics = doc["entries"].isNotNull() | text["metrics"].isNotNull()
    is_device = text["device_id"].isNotNull() | has_metrics
    device_id = F.when(is_device, text["device_id"]).otherwise(text["id"])
    # A device record may name its site; a seed record's site, like a device's without one, is its id's prefix.
    site_id = F.coalesce(F.when(is_device, text["site_id"]), site_from_device(device_id))
    event_raw = utc_z(F.trim(F.when(is_device, text["ts"]).otherwise(text["date"])))
    event_ts = F.when(event_raw != "", event_raw).cast(TimestampType())
    passed_on = ("id", "type", "unit", "metrics")
    # The read runs once per line in a projection of its own: the next one reads its result many times, and
    # Spark does not merge two projections where that would run an expensive expression more than once.
    # Guarded by tests/glue/test_library.py::test_tag_readings_compiles_every_projection_and_reads_each_line_once.
    if uses_jvm_json_reader(lines.sparkSession):
        read = json_object_fields(lines.sparkSession, F.col("raw_record"), allowed, "metrics")
        docs = lines.select(*lineage, read.alias("_doc"))
    else:  # Spark's from_json instead (energylake.jvm.JSON_READER_CONF): the map in a projection of its own
        docs = lines.select(*lineage, json_object_map(F.col("raw_record")).alias("_map")).select(
            *lineage, json_object_fields_from_map(F.col("_map"), allowed, "metrics").alias("_doc")
        )
    parsed = docs.select(
        *lineage,
        doc["malformed"].alias("_malformed"),
        doc["trailing"].alias("_trailing"),
        doc["repeated"].alias("_repeated"),
        doc["unknown"].alias("_unknown"),
        *[text[key].alias(f"_f_{key}") for key in passed_on],
        doc["number"][allowed.index("data")].alias("_data_number"),
        text["data"].alias("_data_text"),
        doc["entries"].alias("_metrics"),
        is_device.alias("_is_device"),
        device_id.alias("device_id"),
        site_id.alias("site_id"),
        event_raw.alias("_event_raw"),
        event_ts.alias("event_ts"),
        # A seed record's metric, named once here: '?<type>' for a type the seed format does not know.
        F.coalesce(_lit_map(SEED_TYPES)[text["type"]], F.concat(F.lit("?"), text["type"])).alias("_seed_type"),
    )
    # The line checks read the line's columns, not their expressions: inlined, every check would carry its own
    # copy of the event time's parse, and the per-line code outgrew the size HotSpot compiles (8,000 bytes).
    # Guarded by tests/glue/test_library.py::test_tag_readings_generated_code_stays_within_what_the_jit_compiles.
    line = {name: F.col(name) for name in LINE_COLUMNS}
    extra = line_checks(line) if line_checks else {}

    field = {key: F.col(f"_f_{key}") for key in passed_on}
    metrics, dev = F.col("_metrics"), F.col("_is_device")
    line_reason = (
        F.when(invalid_utf8(F.col("raw_record")), F.lit(INVALID_ENCODING))
        .when(F.col("_malformed"), F.lit(MALFORMED_JSON))
        .when(F.col("_trailing"), F.lit(TRAILING_CONTENT))
        .when(F.col("_repeated").isNotNull(), F.concat(F.lit(f"{MALFORMED_JSON}:repeated key "), F.col("_repeated")))
        .when(F.col("_unknown").isNotNull(), F.concat(F.lit("unknown_columns:"), F.col("_unknown")))
        .when(
            dev & (field["id"].isNotNull() | field["type"].isNotNull() | F.col("_data_text").isNotNull()),
            F.lit("mixed_formats:seed and device fields in one record"),
        )
        .when(dev & field["metrics"].isNotNull(), F.lit(f"{MALFORMED_JSON}:metrics is not an object"))
        .when(dev & (metrics.isNull() | (F.size(metrics) == 0)), F.lit(f"{MISSING_REQUIRED}:metrics"))
    )
    seed_metric = F.col("_seed_type")
    seed_reason = F.when(field["type"].isNull(), F.lit(f"{MISSING_REQUIRED}:type")).when(
        seed_metric.startswith("?") & (seed_metric != "?"),
        F.concat(F.lit(f"{UNKNOWN_METRIC_TYPE}:"), seed_metric.substr(F.lit(2), F.length(seed_metric))),
    )
    return parsed.select(
        *lineage,
        "_is_device",
        line_reason.alias("_line_reason"),
        "device_id",
        "site_id",
        "event_ts",
        _joined(*_cast_checks(F.col("_event_raw"), "timestamp", "event_ts")).alias("_event_checks"),
        _joined(
            F.when(F.col("device_id").isNull(), F.lit(f"{MISSING_REQUIRED}:device_id")),
            F.when(F.col("site_id").isNull(), F.lit(MISSING_SITE)),
        ).alias("_id_reason"),
        F.when(~dev, seed_metric).alias("_seed_metric"),
        F.when(~dev, F.coalesce(field["unit"], _lit_map(SEED_DEFAULT_UNITS)[seed_metric])).alias("_seed_unit"),
        F.when(~dev, seed_reason).alias("_seed_reason"),
        # A device's metric entries; a seed record's one reading is its data (no array is built per line for it).
        F.when(dev, metrics).alias("_entries"),
        F.when(~dev, F.col("_data_number")).alias("_seed_number"),
        F.when(~dev & F.col("_data_number").isNull(), F.col("_data_text")).alias("_seed_text"),
        # Evaluated once per line, not once per reading.
        *[check.alias(name) for name, check in extra.items()],
    )


def utc_z(text: Column) -> Column:
    """ISO timestamp text with a trailing 'Z' after a digit dropped (the session time zone is UTC).

    Spark compiles a regular expression per value to resolve a zone suffix; dropping 'Z' avoids that.
    """
    zulu = text.endswith("Z") & F.substring(text, -2, 1).between("0", "9")
    return F.when(zulu, text.substr(F.lit(1), F.length(text) - 1)).otherwise(text)


def _cast_checks(raw: Column, dtype: str, name: str, typed: Column | None = None) -> list[Column]:
    """cast_columns' checks for one required string column: present but not castable, or missing.

    ``typed`` is the value when the JSON read already typed it (a number): then it is present and valid.
    """
    present, castable = raw.isNotNull() & (raw != ""), raw.cast(dtype).isNotNull()
    if typed is not None:
        present, castable = typed.isNotNull() | present, typed.isNotNull() | castable
    return [
        F.when(present & ~castable, F.lit(f"{INVALID_TYPE}:{name}")),
        F.when(~present, F.lit(f"{MISSING_REQUIRED}:{name}")),
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
        "_seed_number",
        "_seed_text",
        # A line that failed stays one row. Its reason is tested here, on the column, not inside the per-line
        # projection: there Spark's optimizer rewrites `reason is not null` into a copy of the reason's
        # conditions (PushFoldableIntoBranches), which then ran twice per line (guarded by test_library.py::
        # test_tag_readings_runs_each_line_check_once).
        F.explode_outer(F.when(F.col("_line_reason").isNull(), F.col("_entries"))).alias("_entry"),
    )
    # After the explode every projection copies each reading, so the per-reading work is done in as few
    # projections as its dependencies allow (Spark keeps a projection apart when merging it would repeat
    # an expensive expression): naming and typing; reasons and units; contract rules; the final reason.
    key, dev, parsed_ok = F.col("_entry.key"), F.col("_is_device"), F.col("_line_reason").isNull()
    # A seed line's explode_outer gives one row with no entry: its reading is the line's data.
    number = F.when(dev, F.col("_entry.number")).otherwise(F.col("_seed_number"))
    value_raw = F.trim(F.when(dev, F.col("_entry.text")).otherwise(F.col("_seed_text")))
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
        F.coalesce(number, F.when(value_raw != "", value_raw).cast(DoubleType())).alias("value"),
        (parsed_ok & dev & number.isNull() & (F.coalesce(value_raw, F.lit("")) == "")).alias("_null_value"),
        _joined(*_cast_checks(value_raw, "double", "value", number), F.col("_event_checks")).alias("_cast_reason"),
        F.to_date("event_ts").alias("event_date"),
    )
    metric = F.col("metric")
    device_reason = F.when(
        metric.startswith("?"), F.concat(F.lit(f"{UNKNOWN_METRIC}:"), metric.substr(F.lit(2), F.length(metric)))
    )
    value, unit = to_canonical(F.col("value"), F.col("unit_raw"), metric)
    # A null for a metric the device's type has no sensor for is a reading never taken, not bad data.
    not_reported = F.coalesce(
        F.col("_null_value") & ~metric.startswith("?") & ~F.array_contains(site_sensors()[F.col("site_id")], metric),
        F.lit(False),
    )
    typed = named.select(
        *passed,
        *line_rule_names,
        "_key",
        "metric",
        "unit_raw",
        "event_date",
        value.alias("value"),
        unit.alias("unit"),
        not_reported.alias("_not_reported"),
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
        F.concat(F.lit(f"{UNKNOWN_UNIT}:"), F.coalesce(F.col("unit_raw"), F.lit("<none>")), F.lit(" for "), metric),
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
        "_not_reported",
        _first_reason(F.col("_reason"), unit_reason).alias("_reason"),
        failing_rules({c: F.col(c) for c in columns}, contract, now, settled).alias("_rules"),
    )
    rules = F.col("_rules")
    # A not-reported reading has no reason: the checks above judged a value that was never measured.
    not_reported = F.col("_not_reported")
    reason = F.when(~not_reported, _first_reason(F.col("_reason"), F.when(rules != "", rules)))
    # Quarantine needs the record as received (an exploded device reading: plus its key, to show which one
    # failed); valid rows do not carry it.
    raw = F.when(F.col("_key").isNotNull(), F.concat(F.col("raw_record"), F.lit(" #"), F.col("_key"))).otherwise(
        F.col("raw_record")
    )
    return checked.select(
        "line_no",
        F.when(~not_reported & (F.col("_reason").isNotNull() | (rules != "")), raw).alias("raw_record"),
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
        not_reported,
    )


class TelemetryOutputs(NamedTuple):
    """What the telemetry transform makes of its lines: every reading lands in exactly one of the three."""

    valid: DataFrame  # telemetry_readings rows with lineage
    rejects: DataFrame  # quarantine rows (source_file, reason, raw_record)
    not_reported: DataFrame  # readings of sensors the device's type does not have (device, site, metric, time)


def telemetry_readings(
    lines: DataFrame, now: datetime | None = None, files: SourceFiles | None = None
) -> TelemetryOutputs:
    """Raw telemetry lines to (valid telemetry_readings rows with lineage, quarantine rows, not-reported readings).

    Lines read with their files numbered (``read_numbered_lines``) keep the number in the valid rows (the
    writer names the file again) and need ``files`` to name it in the quarantine rows.
    """
    # One materialisation feeds both outputs (and the job's counts): the lines are parsed once per run.
    tagged = materialise(tag_readings(lines, now))
    reported = ~F.col("_not_reported")
    valid = tagged.where(F.col("_reason").isNull() & reported).drop("_reason", "raw_record", "_not_reported")
    failed = tagged.where(F.col("_reason").isNotNull()).drop("_not_reported")
    not_reported = tagged.where(~reported).select("device_id", "site_id", "metric", "event_ts")
    if FILE_NO in failed.columns:
        if files is None:
            raise ValueError(
                "the lines carry numbered source files (_file_no): pass the SourceFiles that numbered them"
            )
        failed = files.restore(failed)
    return TelemetryOutputs(valid, rejects(failed, "_reason"), not_reported)
