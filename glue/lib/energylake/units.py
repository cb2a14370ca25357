"""Unit normalisation: every metric is stored in one canonical unit (°F→°C, psi→bar, kW→MW, km/h→m/s)."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

# metric -> canonical unit
CANONICAL_UNITS: dict[str, str] = {
    "power_factor": "ratio",
    "battery_temperature": "degC",
    "hydraulic_pressure": "bar",
    "active_power": "MW",
    "wind_speed": "m/s",
    "rotor_speed": "rpm",
    "irradiance": "W/m2",
}

# (unit alias as received, lower-cased without '°') -> (canonical unit, scale, offset): canonical = v * scale + offset
CONVERSIONS: dict[str, tuple[str, float, float]] = {
    "ratio": ("ratio", 1.0, 0.0),
    "": ("ratio", 1.0, 0.0),
    "pf": ("ratio", 1.0, 0.0),
    "%": ("ratio", 0.01, 0.0),
    "c": ("degC", 1.0, 0.0),
    "degc": ("degC", 1.0, 0.0),
    "celsius": ("degC", 1.0, 0.0),
    "f": ("degC", 5.0 / 9.0, -32.0 * 5.0 / 9.0),
    "degf": ("degC", 5.0 / 9.0, -32.0 * 5.0 / 9.0),
    "fahrenheit": ("degC", 5.0 / 9.0, -32.0 * 5.0 / 9.0),
    "k": ("degC", 1.0, -273.15),
    "bar": ("bar", 1.0, 0.0),
    "psi": ("bar", 0.0689475729, 0.0),
    "kpa": ("bar", 0.01, 0.0),
    "mw": ("MW", 1.0, 0.0),
    "kw": ("MW", 0.001, 0.0),
    "w": ("MW", 1e-6, 0.0),
    "m/s": ("m/s", 1.0, 0.0),
    "ms": ("m/s", 1.0, 0.0),
    "km/h": ("m/s", 1.0 / 3.6, 0.0),
    "kmh": ("m/s", 1.0 / 3.6, 0.0),
    "mph": ("m/s", 0.44704, 0.0),
    "kn": ("m/s", 0.514444, 0.0),
    "rpm": ("rpm", 1.0, 0.0),
    "w/m2": ("W/m2", 1.0, 0.0),
    "percent": ("%", 1.0, 0.0),
    "w/m²": ("W/m2", 1.0, 0.0),
    "wm2": ("W/m2", 1.0, 0.0),
}

# Percent stays percent for percentage metrics such as cloud cover ("%" means ratio*100 for power factor).
PERCENT: dict[str, tuple[str, float, float]] = {"%": ("%", 1.0, 0.0)}


WHITESPACE = " \t\n\x0b\f\r"


def unit_key(unit: Column) -> Column:
    """Normalised lookup key for a unit string (lower case, no degree sign or spaces)."""
    # translate() deletes characters without a regular expression per value (\s = these six characters).
    return F.lower(F.translate(F.coalesce(unit, F.lit("")), "°" + WHITESPACE, ""))


def convert_to(value: Column, unit: Column, canonical: Column) -> Column:
    """``value`` converted from ``unit`` to the ``canonical`` unit; null when the unit is unknown or incompatible."""
    # One map lookup instead of a CASE chain per alias keeps the generated code small.
    factors = F.create_map(
        *[
            x
            for alias, (canon, scale, offset) in [*CONVERSIONS.items(), *PERCENT.items()]
            for x in (F.lit(f"{alias}|{canon}"), F.array(F.lit(scale), F.lit(offset)))
        ]
    )
    factor = factors[F.concat(unit_key(unit), F.lit("|"), canonical)]
    return value.cast("double") * factor[0] + factor[1]


def canonical_unit(metric: Column) -> Column:
    """The canonical unit of a metric name (null for unknown metrics)."""
    return F.create_map(*[x for m, u in CANONICAL_UNITS.items() for x in (F.lit(m), F.lit(u))])[metric]


def to_canonical(value: Column, unit: Column, metric: Column) -> tuple[Column, Column]:
    """(value in the metric's canonical unit or null when the unit is unknown/incompatible, canonical unit)."""
    canonical = canonical_unit(metric)
    return convert_to(value, unit, canonical), canonical
