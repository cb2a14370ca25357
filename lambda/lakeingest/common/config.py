"""Handler configuration, read from environment variables only (Terraform sets them on each function)."""

from __future__ import annotations

import json
import os
from typing import Any


class ConfigError(RuntimeError):
    """A required environment variable is missing or malformed; the message names it."""


def env_str(name: str, default: str | None = None) -> str:
    """The variable's value, its default, or a ConfigError naming the missing variable."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if default is None:
        raise ConfigError(f"environment variable {name} is required but not set")
    return default


def env_int(name: str, default: int) -> int:
    """An integer variable (ConfigError when it is not an integer)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    """A float variable (ConfigError when it is not a number)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be a number, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated variable as a list of non-empty, stripped items."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_json(name: str) -> Any | None:
    """A JSON variable, or None when unset (ConfigError when it is not valid JSON)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"environment variable {name} is not valid JSON: {exc}") from None
