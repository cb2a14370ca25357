"""``getResolvedOptions`` with the rules of AWS Glue's own (awslabs/aws-glue-libs, awsglue/utils.py).

What was taken from that source (re-implemented, not copied):
- an ``argparse`` parser whose errors raise ``GlueArgumentError`` instead of exiting;
- ``parse_known_args(args[1:])``: ``args[0]`` is the script, arguments nobody asked for are ignored (Glue passes
  its own, e.g. ``--job-language``, ``--extra-py-files``), argparse's prefix matching applies to the rest;
- every requested name becomes a required ``--<name>`` option (names are used as given: ``--input_path`` yields
  key ``input_path``; a requested name with dashes would yield a key with underscores);
- reserved names cannot be requested (RuntimeError): ``job-bookmark-option``, ``continuation-option``,
  ``job-bookmark-from``/``-to``, ``JOB_ID``, ``JOB_RUN_ID``, ``SECURITY_CONFIGURATION``, ``encryption-type``;
  ``JOB_NAME`` can (and is then required), ``TempDir``/``RedshiftTempDir`` are always optional and mirror each other;
- ``--job-bookmark-option`` only accepts job-bookmark-enable/-pause/-disable and defaults to job-bookmark-disable
  (or to the translation of a legacy ``--continuation-option``); ``--encryption-type`` only accepts sse-s3;
- ``--job-bookmark-from``/``-to``: both or neither with job-bookmark-pause, never both otherwise;
- the result holds every option the parser knows, ``None`` for the absent ones.
Documented in "Accessing parameters using getResolvedOptions"
(https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-get-resolved-options.html).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

BOOKMARK_OPTION = "job-bookmark-option"
BOOKMARK_CHOICES = ("job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable")
CONTINUATION_OPTION = "continuation-option"
CONTINUATION_CHOICES = ("continuation-enabled", "continuation-readonly", "continuation-ignore")
BOOKMARK_RANGE = ("job-bookmark-from", "job-bookmark-to")
RESERVED_IDS = ("JOB_ID", "JOB_RUN_ID", "SECURITY_CONFIGURATION")
ENCRYPTION_OPTION = "encryption-type"
TEMP_DIRS = ("TempDir", "RedshiftTempDir")


class GlueArgumentError(Exception):
    """A job argument is missing or invalid (Glue fails the run with this error)."""


class GlueArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage and exit the driver
        raise GlueArgumentError(message)


def getResolvedOptions(args: Sequence[str], options: Sequence[str]) -> dict[str, Any]:  # noqa: N802 (Glue's name)
    """The requested ``--name value`` arguments of ``args`` (``sys.argv``) plus Glue's own, as Glue resolves them."""
    for name in (BOOKMARK_OPTION, CONTINUATION_OPTION, *BOOKMARK_RANGE, *RESERVED_IDS, ENCRYPTION_OPTION):
        if name in options:
            raise RuntimeError(f"Using reserved arguments --{name}")
    parser = GlueArgumentParser()
    parser.add_argument(f"--{BOOKMARK_OPTION}", choices=BOOKMARK_CHOICES, required=False)
    parser.add_argument(f"--{CONTINUATION_OPTION}", choices=CONTINUATION_CHOICES, required=False)
    for name in (*BOOKMARK_RANGE, *RESERVED_IDS, *TEMP_DIRS):
        parser.add_argument(f"--{name}", required=False)
    parser.add_argument(f"--{ENCRYPTION_OPTION}", choices=("sse-s3",))
    for name in options:
        if name not in TEMP_DIRS:
            parser.add_argument(f"--{name}", required=True)
    parsed, _ignored = parser.parse_known_args(list(args[1:]))
    values = vars(parsed)

    if values["TempDir"] is not None:
        values["RedshiftTempDir"] = values["TempDir"]
    elif values["RedshiftTempDir"] is not None:
        values["TempDir"] = values["RedshiftTempDir"]

    continuation = values.pop("continuation_option")
    if values["job_bookmark_option"] is None:
        values["job_bookmark_option"] = (
            BOOKMARK_CHOICES[CONTINUATION_CHOICES.index(continuation)] if continuation else "job-bookmark-disable"
        )
    absent = [f"--{n}" for n in BOOKMARK_RANGE if values[n.replace("-", "_")] is None]
    if values["job_bookmark_option"] == "job-bookmark-pause":
        if len(absent) == 1:
            raise RuntimeError(f"Missing option or value for {absent[0]}")
    elif not absent:
        raise RuntimeError("Invalid option(s) " + " ".join(f"--{n}" for n in BOOKMARK_RANGE))
    return values
