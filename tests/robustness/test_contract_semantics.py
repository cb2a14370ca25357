"""Issue 33, class 6: contract validation checks meaning, not only shape; the error names file and field.

Generated damage to a valid contract: unordered ranges, a rule for a metric that does not exist, timestamps
that do not parse, ranges on text, empty value lists, patterns that do not compile.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from energylake.contracts import ContractError, load_contracts, parse_contract

BASE = {
    "name": "damaged",
    "zone": "transform",
    "domain": "x",
    "description": "y",
    "columns": [
        {"name": "metric", "type": "string"},
        {"name": "value", "type": "double"},
        {"name": "event_ts", "type": "timestamp"},
    ],
    "event_time": "event_ts",
    "quality": [
        {"rule": "allowed_values", "column": "metric", "values": ["power_factor", "wind_speed"]},
        {"rule": "range", "column": "value", "min": 0, "max": 1, "when_column": "metric", "when_value": "power_factor"},
        {"rule": "min_timestamp", "column": "event_ts", "value": "2000-01-01T00:00:00"},
    ],
}
NUMBERS = st.floats(-1e6, 1e6, allow_nan=False)


def _damages():
    """(strategy of a mutation of BASE, the field the error must name)."""
    unordered = st.tuples(NUMBERS, NUMBERS).filter(lambda p: p[0] != p[1]).map(sorted)
    metric = st.text(min_size=1, max_size=12).filter(lambda m: m not in ("power_factor", "wind_speed"))
    not_iso = st.sampled_from(["yesterday", "2000-13-01", "01/01/2000", "", "2000-01-01T25:00"])
    return st.one_of(
        unordered.map(lambda p: (("quality", 1, "min", p[1]), ("quality", 1, "max", p[0]), "quality.1.min")),
        metric.map(lambda m: (("quality", 1, "when_value", m), None, "quality.1.when_value")),
        not_iso.map(lambda v: (("quality", 2, "value", v), None, "quality.2.value")),
        st.just((("quality", 1, "column", "metric"), ("quality", 1, "when_column", None), "quality.1.column")),
        st.just((("quality", 0, "values", []), None, "quality.0.values")),
        st.just((("event_time", None, None, "metric"), None, "event_time")),
    )


def _apply(doc: dict, change) -> None:
    key, index, field, value = change
    if index is None:
        doc[key] = value
        return
    target = doc[key][index]
    if value is None:
        target.pop(field, None)
        target.pop("when_value", None)
    else:
        target[field] = value


def test_the_base_contract_is_valid(tmp_path: Path):
    path = tmp_path / "damaged.yaml"
    path.write_text(yaml.safe_dump(BASE))
    assert parse_contract(path).name == "damaged"


@given(_damages())
@settings(max_examples=60, deadline=None)
def test_a_rule_that_cannot_mean_what_it_says_is_an_error_naming_file_and_field(tmp_path_factory, damage):
    first, second, field = damage
    doc = yaml.safe_load(yaml.safe_dump(BASE))
    _apply(doc, first)
    if second is not None:
        _apply(doc, second)
    path = tmp_path_factory.mktemp("c") / "damaged.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ContractError) as err:
        parse_contract(path)
    assert str(err.value).startswith("damaged.yaml: field "), err.value
    assert f"field {field}:" in str(err.value), err.value


def test_every_committed_contract_passes_the_semantic_checks():
    assert load_contracts()  # parse_contract runs validate() on each
