"""The warehouse tests load what the migration path produces: they share its source and lake fixtures."""

from tests.migration.conftest import lake, source_dsn, source_server

__all__ = ["lake", "source_dsn", "source_server"]
