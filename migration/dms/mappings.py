"""DMS task definitions derived from the dataset contracts' ``source`` hints.

The definitions live in the library (``energylake.dms.table_mappings`` / ``s3_target_settings``); the contract
compiler writes them into ``terraform/generated/lake.json`` (``dms``), which Terraform deploys (``make compile``;
a test fails when the committed file is stale). This module keeps the names the migration code imports.
"""

from __future__ import annotations

from energylake.dms import s3_target_settings, source_tables, table_mappings

__all__ = ["s3_target_settings", "source_tables", "table_mappings"]
