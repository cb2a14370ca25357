"""Unit normalisation: every metric is stored in one canonical unit (°F→°C, psi→bar, kW→MW, km/h→m/s)."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from energylake.telemetry_rules import UNIT_KEY_STRIP, telemetry_rules

# metric -> canonical unit, and the accepted spellings of each canonical unit: both from the telemetry rules
# (reference/telemetry_rules.yaml), the one definition the Firehose Lambda and the Flink job are generated from.
CANONICAL_UNITS: dict[str, str] = {m.name: m.unit for m in telemetry_rules().metrics.values()}

# (spelling as received, lower-cased without '°' and whitespace, canonical unit) -> (scale, offset):
# canonical = v * scale + offset. "%" is ratio*100 for power factor and stays percent for cloud cover.
CONVERSIONS: dict[tuple[str, str], tuple[float, float]] = {
    (spelling, canonical): factor
    for canonical, spellings in telemetry_rules().units.items()
    for spelling, factor in spellings.items()
}


def unit_key(unit: Column) -> Column:
    """Normalised lookup key for a unit string (lower case, no degree sign or spaces)."""
    # translate() deletes characters without a regular expression per value (\s = these six characters).
    return F.lower(F.translate(F.coalesce(unit, F.lit("")), UNIT_KEY_STRIP, ""))


def convert_to(value: Column, unit: Column, canonical: Column) -> Column:
    """``value`` converted from ``unit`` to the ``canonical`` unit; null when the unit is unknown or incompatible."""
    # One map lookup instead of a CASE chain per alias keeps the generated code small.
    factors = F.create_map(
        *[
            x
            for (alias, canon), (scale, offset) in CONVERSIONS.items()
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
