"""LF-TBAC evaluation: what each persona in lakeformation/ can see, and the semantics on small synthetic grants."""

from __future__ import annotations

import pytest

from energylake.contracts import load_contracts
from lakectl.governance import DataFilter, Governance, Grant, Persona, effective_access

CONTRACTS = load_contracts()


def _pii_visible(access) -> list[str]:
    return [f"{d}.{c}" for d, spec in access.items() for c in spec.columns if CONTRACTS[d].column(c).is_pii]


def test_analyst_sees_curated_only_and_no_pii_or_confidential_anywhere(governance):
    access = effective_access("analyst", governance)
    assert set(access) == {n for n, c in CONTRACTS.items() if c.zone == "curated"}
    assert _pii_visible(access) == []
    for name, spec in access.items():
        classes = {CONTRACTS[name].column(c).classification for c in spec.columns}
        assert classes <= {"public", "internal"}, name
        assert spec.row_filter is None
        assert spec.permissions == {"SELECT", "DESCRIBE"}
    assert access["client_analytics"].withheld == ("customer_name", "email", "total_amount")


def test_regional_analyst_west_sees_only_west_rows_of_client_analytics(governance):
    access = effective_access("regional_analyst_west", governance)
    assert list(access) == ["client_analytics"]
    spec = access["client_analytics"]
    assert spec.row_filter == "region = 'WEST'"
    assert "region" in spec.columns
    assert not {"customer_name", "email", "total_amount"} & set(spec.columns)
    assert _pii_visible(access) == []


def test_data_engineer_reads_every_zone_but_no_pii(governance):
    access = effective_access("data_engineer", governance)
    assert set(access) == set(CONTRACTS)
    assert _pii_visible(access) == []
    assert "raw_record" in access["quarantine_records"].columns  # confidential is allowed
    assert access["trading_customers"].withheld == ("name", "email", "phone", "address")


def test_data_scientist_has_no_trading_or_quarantine_data(governance):
    access = effective_access("data_scientist", governance)
    assert {CONTRACTS[d].domain for d in access} == {"telemetry", "market", "weather"}
    assert {CONTRACTS[d].zone for d in access} <= {"transform", "curated"}
    assert _pii_visible(access) == []


def test_trading_ops_sees_trading_pii_by_explicit_grant(governance):
    access = effective_access("trading_ops", governance)
    assert {CONTRACTS[d].domain for d in access} == {"trading"}
    assert set(access["trading_customers"].columns) == {c.name for c in CONTRACTS["trading_customers"].columns}
    assert any(g.persona == "trading_ops" and g.allow_pii for g in governance.grants)


def test_only_personas_with_an_explicit_pii_grant_see_pii(governance):
    explicit = {g.persona for g in governance.grants if g.allow_pii} | {
        f.persona for f in governance.data_filters if f.allow_pii
    }
    for persona in governance.personas:
        visible = _pii_visible(effective_access(persona, governance))
        assert bool(visible) == (persona in explicit), persona


def test_unknown_persona_is_an_error(governance):
    with pytest.raises(KeyError, match="unknown persona 'intern'"):
        effective_access("intern", governance)


def _gov(grants=(), filters=()) -> Governance:
    personas = {"p": Persona(description="test", role_name="p"), "q": Persona(description="test", role_name="q")}
    return Governance(
        tags={},
        personas=personas,
        grants=tuple(grants),
        data_filters=tuple(filters),
        contracts={n: CONTRACTS[n] for n in ("client_analytics", "trading_customers", "site_hourly_generation")},
    )


def test_all_keys_must_match_and_missing_key_means_any_value():
    gov = _gov([Grant(persona="p", permissions=["SELECT"], lf_tag_expression={"domain": ["trading"]})])
    access = effective_access("p", gov)
    assert set(access) == {"client_analytics", "trading_customers"}  # no classification key: every column
    assert "email" in access["trading_customers"].columns
    gov = _gov(
        [Grant(persona="p", permissions=["SELECT"], lf_tag_expression={"domain": ["trading"], "zone": ["curated"]})]
    )
    assert set(effective_access("p", gov)) == {"client_analytics"}
    assert effective_access("q", gov) == {}


def test_grants_union_columns_and_permissions():
    # ALL is no longer a grantable permission (least privilege, energylake.grants.ALLOWED_PERMISSIONS): validation
    # refuses it (tests/governance/test_grant_validation.py), so there is no expansion of it to evaluate.
    gov = _gov(
        [
            Grant(persona="p", permissions=["DESCRIBE"], lf_tag_expression={"classification": ["public"]}),
            Grant(persona="p", permissions=["SELECT"], lf_tag_expression={"classification": ["pii"]}),
        ]
    )
    spec = effective_access("p", gov)["client_analytics"]
    assert spec.columns == ("customer_name", "email", "region")
    assert spec.permissions == {"DESCRIBE", "SELECT"}
    assert effective_access("p", gov)["site_hourly_generation"].permissions == {"DESCRIBE"}
    assert not effective_access("p", gov)["site_hourly_generation"].can_select


def test_data_filters_of_one_persona_union_their_rows_and_columns():
    gov = _gov(
        filters=[
            DataFilter(name="w", persona="p", dataset="client_analytics", row_filter="region = 'WEST'",
                       included_columns=["customer_id", "region"]),
            DataFilter(name="e", persona="p", dataset="client_analytics", row_filter="region = 'EAST'",
                       included_columns=["customer_id", "segment"]),
        ]
    )  # fmt: skip
    spec = effective_access("p", gov)["client_analytics"]
    assert spec.row_filter == "(region = 'WEST') OR (region = 'EAST')"
    assert spec.columns == ("customer_id", "segment", "region")
    gov = _gov(filters=[*gov.data_filters, DataFilter(name="all", persona="p", dataset="client_analytics")])
    assert effective_access("p", gov)["client_analytics"].row_filter is None  # a filter without rows limit: all rows
