"""Deterministic telemetry simulators: the seed wind-farm producer and the richer IoT device simulator.

Same seed and start time → the same records, byte for byte. ``bad_every=n`` replaces every n-th
record with a realistic malformed one (truncated JSON, missing field, unknown metric, bad timestamp,
foreign device id, non-numeric value) so the error path is exercised and counted end to end.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from lakeingest.common.keys import iso_z
from lakeingest.common.sites import Site


@dataclass(frozen=True)
class Produced:
    """One record as sent: partition key, payload, and whether the simulator meant it to be valid.

    ``sensor_fault`` names the metric key of a well-formed record whose sensor the simulator made report
    null although the device has it: the transformation Lambda accepts such a record (it is valid JSON in the
    device format) and the telemetry job quarantines that reading.
    """

    partition_key: str
    data: bytes
    valid: bool
    sensor_fault: str | None = None


def device_ids(site: Site, count: int) -> list[str]:
    """``<site_id>-T<nn>`` ids for a site's first ``count`` devices."""
    return [f"{site.site_id}-T{n:02d}" for n in range(1, count + 1)]


def _malformed(rnd: random.Random, good: dict, kind: str) -> bytes:
    """A deterministic bad variant of a good record."""
    choice = rnd.randrange(6)
    doc = dict(good)
    if choice == 0:
        return json.dumps(doc).encode()[:-7]  # truncated in transit
    if choice == 1:
        doc.pop("date" if kind == "seed" else "ts")
    elif choice == 2:
        if kind == "seed":
            doc["type"] = "vibration"
        else:
            doc["metrics"] = {**doc["metrics"], "gearbox_vibration_mm_s": 3.1}
    elif choice == 3:
        doc["date" if kind == "seed" else "ts"] = "15/01/2024 10:00"
    elif choice == 4:
        doc["id" if kind == "seed" else "device_id"] = "turbine-7"
    else:
        if kind == "seed":
            doc["data"] = "n/a"
        else:
            doc["metrics"] = {**doc["metrics"], "active_power_mw": "offline"}
    return json.dumps(doc).encode()


def _fleet(
    sites: list[Site], start: datetime, steps: int, interval_s: int, per_site: int
) -> Iterator[tuple[int, datetime, Site, str]]:
    """(step, time, site, device) for every device of every site at every reading interval, in send order."""
    for step in range(steps):
        at = start + timedelta(seconds=step * interval_s)
        for site in sites:
            for device in device_ids(site, per_site):
                yield step, at, site, device


def windfarm_records(
    sites: list[Site],
    *,
    start: datetime,
    seed: int = 42,
    turbines_per_site: int = 3,
    steps: int = 12,
    interval_s: int = 300,
    bad_every: int = 0,
) -> Iterator[Produced]:
    """Seed-format readings: power factor, battery temperature (°C) and hydraulic pressure (bar) per turbine."""
    rnd = random.Random(seed)
    n = 0
    wind_sites = [s for s in sites if s.site_type == "wind"]
    for step, at, _site, device in _fleet(wind_sites, start, steps, interval_s, turbines_per_site):
        values = {
            "powerFactor": round(min(1.0, 0.93 + rnd.gauss(0.04, 0.015)), 4),
            "temperature": round(24 + 8 * math.sin(step / 20) + rnd.gauss(0, 1.5), 2),
            "hydraulicPressure": round(rnd.gauss(185, 6), 2),
        }
        for kind, value in values.items():
            n += 1
            good = {"id": device, "data": value, "type": kind, "date": iso_z(at)}
            if bad_every and n % bad_every == 0:
                yield Produced(device, _malformed(rnd, good, "seed"), False)
            else:
                yield Produced(device, json.dumps(good).encode(), True)


def device_records(
    sites: list[Site],
    *,
    start: datetime,
    seed: int = 43,
    devices_per_site: int = 2,
    steps: int = 12,
    interval_s: int = 300,
    bad_every: int = 0,
    sensor_fault_every: int = 0,
) -> Iterator[Produced]:
    """Rich device telemetry for wind turbines and solar inverters (irradiance only at solar sites).

    Every metric key is sent; a sensor the device does not have reports null. Every ``sensor_fault_every``-th
    well-formed record has one sensor the device does have report null instead (a deliberate data fault).
    """
    rnd = random.Random(seed)
    fleet = _fleet(sites, start, steps, interval_s, devices_per_site)
    for n, (_step, at, site, device) in enumerate(fleet, start=1):
        hour = at.hour + at.minute / 60
        if site.site_type == "wind":
            wind = max(0.0, rnd.gauss(8.5, 2.5))
            # a 2-3 MW turbine's power curve: cubic between cut-in (3 m/s) and rated (12 m/s)
            power = 0.0 if wind < 3 else min(2.5, 2.5 * ((wind - 3) / 9) ** 3)
            metrics = {
                "active_power_mw": round(power, 4),
                "wind_speed_ms": round(wind, 2),
                "rotor_speed_rpm": round(0 if wind < 3 else min(16.0, 6 + wind * 0.8), 2),
                "power_factor": round(min(1.0, rnd.gauss(0.97, 0.01)), 4),
                "battery_temperature_c": round(rnd.gauss(28, 3), 2),
                "hydraulic_pressure_bar": round(rnd.gauss(185, 6), 2),
                "irradiance_wm2": None,
            }
        else:
            # Daylight 07:00-18:00 local time (Texas, UTC-6): a sine over those 11 hours, zero at night.
            local = (hour - 6) % 24
            sun = math.sin((local - 7) / 11 * math.pi) if 7 <= local <= 18 else 0.0
            irr = round(max(0.0, 950 * sun + rnd.gauss(0, 20)) if sun > 0 else 0.0, 1)
            metrics = {
                "active_power_mw": round(3.0 * irr / 1000, 4),
                "wind_speed_ms": round(max(0.0, rnd.gauss(4, 1.5)), 2),
                "rotor_speed_rpm": None,
                "power_factor": round(min(1.0, rnd.gauss(0.99, 0.005)), 4),
                "battery_temperature_c": round(rnd.gauss(31, 4), 2),
                "hydraulic_pressure_bar": None,
                "irradiance_wm2": irr,
            }
        good = {
            "device_id": device,
            "site_id": site.site_id,
            "ts": iso_z(at),
            "metrics": metrics,
            "firmware": "4.2.1",
        }
        if bad_every and n % bad_every == 0:
            yield Produced(device, _malformed(rnd, good, "device"), False)
        elif sensor_fault_every and n % sensor_fault_every == 0:
            # Not drawn from rnd: the other records stay what they were without faults.
            measured = sorted(k for k, v in metrics.items() if v is not None)
            dead = measured[n % len(measured)]
            faulty = {**good, "metrics": {**metrics, dead: None}}
            yield Produced(device, json.dumps(faulty).encode(), True, sensor_fault=dead)
        else:
            yield Produced(device, json.dumps(good).encode(), True)
