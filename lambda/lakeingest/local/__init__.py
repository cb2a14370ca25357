"""Local-only helpers (never packaged into a Lambda): the recorded-response replay server."""
