"""Optional MQTT publishing of simulator records (AWS IoT Core or any broker), enabled by MQTT_BROKER_URL.

URL form: ``mqtt://host:1883`` or ``mqtts://host:8883`` (TLS; MQTT_CA_FILE, MQTT_CERT_FILE, MQTT_KEY_FILE for
IoT Core's mutual TLS). Topics: ``<MQTT_TOPIC_ROOT>/<source>/<device_id>``, root default ``energylake/telemetry``:
the topic filter of the IoT rules in terraform/modules/streaming_ingestion (``iot_topic_root``), so published
records reach the Kinesis streams. Needs the ``mqtt`` extra (paho-mqtt).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from urllib.parse import urlparse

from lakeingest.simulators.producers import Produced


def broker_configured() -> bool:
    """True when MQTT_BROKER_URL is set."""
    return bool(os.environ.get("MQTT_BROKER_URL", "").strip())


DEFAULT_TOPIC_ROOT = "energylake/telemetry"


def topic(source: str, device_id: str) -> str:
    """MQTT topic of one device's record: ``<MQTT_TOPIC_ROOT>/<source>/<device_id>``."""
    root = os.environ.get("MQTT_TOPIC_ROOT", "").strip().strip("/") or DEFAULT_TOPIC_ROOT
    return f"{root}/{source}/{device_id}"


def publish(source: str, records: Iterable[Produced], qos: int = 1) -> int:
    """Publish each record to its device topic (see ``topic``); return the count published."""
    import paho.mqtt.client as mqtt  # optional dependency, imported only when a broker is configured

    url = urlparse(os.environ["MQTT_BROKER_URL"])
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"energylake-sim-{source}")
    if url.scheme == "mqtts":
        client.tls_set(
            ca_certs=os.environ.get("MQTT_CA_FILE"),
            certfile=os.environ.get("MQTT_CERT_FILE"),
            keyfile=os.environ.get("MQTT_KEY_FILE"),
        )
    client.connect(url.hostname or "localhost", url.port or (8883 if url.scheme == "mqtts" else 1883))
    client.loop_start()
    count = 0
    try:
        for record in records:
            client.publish(topic(source, record.partition_key), record.data, qos=qos).wait_for_publish(10)
            count += 1
    finally:
        client.loop_stop()
        client.disconnect()
    return count
