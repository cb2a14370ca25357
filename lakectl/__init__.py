"""lakectl: local operations for the renewable-energy data lake (emulator, PostgreSQL, Glue runner, demo)."""
