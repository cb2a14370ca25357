"""IoT rule SQL: generated once (lakeingest.telemetry.iot_rules), read by Terraform, checked against AWS's docs."""

from __future__ import annotations

import json

import pytest

from lakectl.settings import REPO_ROOT
from lakeingest.telemetry import iot_rules, layout
from lakeingest.telemetry.series import SERIES

MODULE = REPO_ROOT / "terraform/modules/streaming_ingestion/main.tf"


def _deployed_rules(topic_root: str = "energylake/telemetry") -> dict[str, dict[str, str]]:
    """The statements as the module renders them: the generated file, ``{topic_root}`` replaced."""
    sources = json.loads(layout.LAYOUT_FILE.read_text())["sources"]
    return {
        s: {k: v.replace("{topic_root}", topic_root) if k.endswith("_sql") else v for k, v in spec.items()}
        for s, spec in sources.items()
    }


def test_the_module_reads_the_generated_rule_sql():
    tf = MODULE.read_text()
    assert 'replace(local.telemetry[each.key].raw_route_sql, "{topic_root}", var.iot_topic_root)' in tf
    assert "sql_version = local.telemetry[each.key].raw_route_sql_version" in tf
    assert "SELECT" not in tf  # no hand-written statement beside the generated one


@pytest.mark.parametrize("source", sorted(layout.SOURCES))
def test_every_generated_statement_conforms_to_the_documented_functions_and_versions(source):
    rule = _deployed_rules()[source]
    assert rule["raw_route_sql"] == f"SELECT * FROM 'energylake/telemetry/{source}/+'"
    assert iot_rules.check_rule(rule["raw_route_sql"], rule["raw_route_sql_version"]) == []
    assert iot_rules.check_rule(rule["time_series_sql"], rule["time_series_sql_version"]) == []


@pytest.mark.parametrize("source", sorted(layout.SOURCES))
def test_time_series_statement_selects_typed_measures_and_the_event_time(source):
    sql = _deployed_rules()[source]["time_series_sql"]
    assert "SELECT *" not in sql and " metrics," not in sql and not sql.rstrip().endswith("metrics")
    assert f"time_to_epoch({layout.SOURCES[source]['time_field']}, " in sql and "AS event_time_ms" in sql
    measures = [part for part in sql.split(", ") if part.startswith("cast(")]
    assert measures and all(" AS Decimal) AS " in m for m in measures)


def test_the_checker_finds_what_aws_documents_as_broken():
    # Today's rule fed the Timestream action with SELECT *: ids, strings and the metrics object as measures.
    today = "SELECT * FROM 'energylake/telemetry/devices/+'"
    assert [p.source for p in iot_rules.check_rule(today, "2016-03-23", timestream_target=True)] == [
        "AWS IoT Core, Timestream rule action (timestream-rule-action.html)"
    ]
    # time_to_epoch does not exist in the 2015-10-08 SQL version; an unknown version is refused.
    sql = iot_rules.time_series_sql("devices").replace("{topic_root}", "t")
    assert any(
        "time_to_epoch() needs SQL version 2016-03-23" in p.message for p in iot_rules.check_rule(sql, "2015-10-08")
    )
    assert iot_rules.check_rule(sql, "2017-01-01")[0].message == "unknown SQL version '2017-01-01'"
    # With 2016-03-23, whole-number decimals reach Timestream as integers even after cast(): the typed
    # statement is for the time-series sink that replaces Timestream, not for a Timestream action.
    assert any("whole-number" in p.message for p in iot_rules.check_rule(sql, "2016-03-23", timestream_target=True))
    assert iot_rules.check_rule("SELECT upper(x) FROM 't/+'", "2016-03-23")[0].message.startswith("function upper()")


@pytest.mark.parametrize("source", sorted(layout.SOURCES))
def test_the_liveanalytics_statement_conforms_to_the_timestream_action(source):
    rule = _deployed_rules()[source]
    assert rule["timestream_sql_version"] == "2015-10-08"  # V2 turns whole-number decimals into integers
    assert iot_rules.check_rule(rule["timestream_sql"], rule["timestream_sql_version"], timestream_target=True) == []
    # Substitution templates are evaluated apart from the SELECT: they may name only the original payload,
    # never an alias (iot-substitution-templates.html). Dimensions and timestamp name the message's own fields.
    aliases = {t.name for t in SERIES[source].tags} - {t.path for t in SERIES[source].tags}
    templates = [*rule["timestream_dimensions"].values(), rule["timestream_timestamp"]]
    assert all(t.startswith("${") and t.endswith("}") for t in templates)
    assert not [t for t in templates if any(f"${{{a}}}" == t for a in aliases)]
    assert f"time_to_epoch({layout.SOURCES[source]['time_field']}, " in rule["timestream_timestamp"]
