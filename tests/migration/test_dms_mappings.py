"""The deployed DMS task definitions (terraform/generated/lake.json) are generated from the contracts."""

from energylake import compiler
from migration.dms import mappings


def test_deployed_definitions_are_the_generated_ones():
    deployed = compiler.load()["dms"]
    assert deployed["table_mappings"] == mappings.table_mappings(), "run: make compile"
    assert deployed["s3_target_settings"] == mappings.s3_target_settings(), "run: make compile"


def test_selection_rules_cover_every_trading_table():
    rules = compiler.load()["dms"]["table_mappings"]["rules"]
    selected = {r["object-locator"]["table-name"] for r in rules if r["rule-type"] == "selection"}
    assert selected == {"providers", "customers", "contracts", "transactions"}
    assert len({r["rule-id"] for r in rules}) == len(rules)
    settings = mappings.s3_target_settings()
    assert settings["TimestampColumnName"] == "dms_commit_ts" and settings["IncludeOpForFullLoad"] is True
