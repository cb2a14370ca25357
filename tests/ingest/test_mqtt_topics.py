"""Simulator MQTT topics match the IoT topic rules Terraform deploys, so IoT Core forwards them to Kinesis."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from lakectl.settings import REPO_ROOT
from lakeingest.common.sites import parse_sites
from lakeingest.simulators import mqtt, producers
from lakeingest.telemetry import layout

MODULE = REPO_ROOT / "terraform" / "modules" / "streaming_ingestion"
SITES = parse_sites((REPO_ROOT / "glue/lib/energylake/reference/sites.csv").read_text())
START = datetime(2024, 1, 15, tzinfo=UTC)


def _rule_filters() -> dict[str, str]:
    """source -> MQTT topic filter of the module's IoT rule, with iot_topic_root at its default.

    The module's rule SQL is generated (lakeingest.telemetry.iot_rules) into the layout file it reads.
    """
    variables = (MODULE / "variables.tf").read_text()
    root = re.search(r'variable "iot_topic_root" \{.*?default\s*=\s*"([^"]+)"', variables, re.S)
    main = (MODULE / "main.tf").read_text()
    reads_generated = 'replace(local.telemetry[each.key].raw_route_sql, "{topic_root}", var.iot_topic_root)' in main
    assert root and reads_generated, "streaming_ingestion IoT rule not found where expected"
    sources = json.loads(layout.LAYOUT_FILE.read_text())["sources"]
    filters = {}
    for name, spec in sources.items():
        sql = re.fullmatch(r"SELECT \* FROM '([^']+)'", spec["raw_route_sql"])
        assert sql, spec["raw_route_sql"]
        filters[name] = sql.group(1).replace("{topic_root}", root.group(1))
    return filters


def _matches(topic_filter: str, topic: str) -> bool:
    """MQTT filter matching with '+' (exactly one level), the only wildcard the rules use."""
    f_parts, t_parts = topic_filter.split("/"), topic.split("/")
    return len(f_parts) == len(t_parts) and all(f in ("+", t) for f, t in zip(f_parts, t_parts, strict=True))


def test_rule_filters_cover_both_telemetry_sources() -> None:
    assert set(_rule_filters()) == {"windfarm", "devices"}


@pytest.mark.parametrize("source", ["windfarm", "devices"])
def test_published_topics_reach_the_iot_rule_of_their_source(source: str, monkeypatch) -> None:
    monkeypatch.delenv("MQTT_TOPIC_ROOT", raising=False)
    make = producers.windfarm_records if source == "windfarm" else producers.device_records
    records = list(make(SITES, start=START, seed=3, steps=2))
    filters = _rule_filters()
    for record in records:
        t = mqtt.topic(source, record.partition_key)
        assert _matches(filters[source], t), (t, filters[source])
        assert not any(_matches(f, t) for s, f in filters.items() if s != source)
        if record.valid:
            body = json.loads(record.data)
            assert record.partition_key == body.get("id", body.get("device_id"))


def test_topic_root_is_configurable(monkeypatch) -> None:
    monkeypatch.setenv("MQTT_TOPIC_ROOT", "plant7/telemetry/")
    assert mqtt.topic("devices", "WF-ROSCOE-T01") == "plant7/telemetry/devices/WF-ROSCOE-T01"


def test_with_a_broker_records_go_over_mqtt_only(monkeypatch):
    """IoT rules forward MQTT to the streams: a direct Kinesis put as well would deliver every record twice."""
    from lakectl import ingest
    from lakeingest.simulators import kinesis

    published: list[int] = []
    monkeypatch.setenv("MQTT_BROKER_URL", "mqtt://broker.invalid:1883")
    monkeypatch.setattr(mqtt, "publish", lambda source, records: published.append(len(records)) or len(records))

    def no_direct_put(*_args, **_kwargs):
        raise AssertionError("put on Kinesis directly although a broker is configured")

    monkeypatch.setattr(kinesis, "put_records", no_direct_put)
    cfg = ingest.IngestConfig(steps=2, bad_every=0)
    advanced: list[int] = []
    step = ingest._step_produce(cfg, "windfarm", SITES, advanced.append)
    assert step["via"] == "mqtt" and step["sent"] == published[0] == sum(advanced) > 0
