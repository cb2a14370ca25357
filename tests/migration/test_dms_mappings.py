"""The committed DMS task definitions are generated from the contracts and up to date."""

import json

from migration.dms import mappings


def test_committed_table_mappings_are_up_to_date():
    assert mappings.TABLE_MAPPINGS.read_text() == mappings.render(mappings.table_mappings()), (
        "run: python -m migration.dms.mappings"
    )
    assert mappings.S3_TARGET_SETTINGS.read_text() == mappings.render(mappings.s3_target_settings())


def test_selection_rules_cover_every_trading_table():
    rules = json.loads(mappings.TABLE_MAPPINGS.read_text())["rules"]
    selected = {r["object-locator"]["table-name"] for r in rules if r["rule-type"] == "selection"}
    assert selected == {"providers", "customers", "contracts", "transactions"}
    assert len({r["rule-id"] for r in rules}) == len(rules)
    settings = mappings.s3_target_settings()
    assert settings["TimestampColumnName"] == "dms_commit_ts" and settings["IncludeOpForFullLoad"] is True
