"""Job arguments: Glue's ``--name value`` contract, resolved the same way on AWS Glue and locally.

On Glue (``awsglue`` importable) ``getResolvedOptions`` resolves them: it ignores arguments nobody asked for
(Glue passes its own, e.g. ``--extra-py-files``) and rejects requests for its reserved names
(https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-get-resolved-options.html).
Locally every ``--name value`` pair is kept, so Glue's own arguments pass through unchanged.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from energylake.contracts import get_contract

# Arguments every job takes besides its own (jobs.yaml: defaults.common_arguments).
COMMON_REQUIRED = ("state_path", "quarantine_path")


class ArgumentError(ValueError):
    """A job argument is missing or invalid; the message names it."""


def glue_available() -> bool:
    """True inside the AWS Glue runtime (the awsglue package is importable)."""
    return importlib.util.find_spec("awsglue") is not None


def named_arguments(tokens: Sequence[str]) -> dict[str, str]:
    """``['--name', 'value', '--other=v']`` to ``{'name': 'value', 'other': 'v'}``; ArgumentError on a stray token."""
    items = list(tokens)
    values: dict[str, str] = {}
    i = 0
    while i < len(items):
        token = items[i]
        if not token.startswith("--"):
            raise ArgumentError(f"unexpected argument {token!r}: arguments are --name value pairs")
        name, eq, inline = token[2:].partition("=")
        if eq:
            values[name] = inline
            i += 1
        elif i + 1 < len(items) and not items[i + 1].startswith("--"):
            values[name] = items[i + 1]
            i += 2
        else:
            raise ArgumentError(f"argument --{name} needs a value")
    return values


def parse_args(argv: Sequence[str], required: Sequence[str], optional: dict[str, str] | None = None) -> dict[str, str]:
    """Resolve ``--name value`` arguments like Glue's getResolvedOptions; ArgumentError names what is missing."""
    optional = dict(optional or {})
    values: dict[str, str] = {}
    if glue_available():
        from awsglue.utils import getResolvedOptions

        present = [n for n in optional if f"--{n}" in argv]
        values.update(getResolvedOptions(list(argv), [*required, *present]))
    else:
        values.update(named_arguments(argv[1:]))
        missing = [n for n in required if n not in values]
        if missing:
            raise ArgumentError("missing required argument " + ", ".join(f"--{n}" for n in missing))
    for name, default in optional.items():
        values.setdefault(name, default)
    for name, value in values.items():
        if name.endswith("_path") and value and not value.startswith(("s3://", "s3a://")):
            raise ArgumentError(f"argument --{name} must be an s3:// URI, got {value!r}")
    return values


def job_arguments(
    argv: Sequence[str], required: Sequence[str], optional: dict[str, str] | None = None
) -> dict[str, str]:
    """A job's arguments: its own plus the common ones (JOB_NAME, --state_path, --quarantine_path, ...)."""
    defaults = {
        "JOB_NAME": Path(argv[0]).stem if argv else "job",
        "state_path": "",
        "quarantine_path": "",
        "quarantine_database": get_contract("quarantine_records").glue_database(),
        **(optional or {}),
    }
    args = parse_args(argv, required, defaults)
    for name in COMMON_REQUIRED:
        if not args.get(name):
            raise ArgumentError(f"missing required argument --{name}")
    return args
