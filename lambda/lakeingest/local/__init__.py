"""Local-only helpers (never packaged into a Lambda): replay server, Firehose delivery step, PDF fixture."""
