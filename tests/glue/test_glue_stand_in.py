"""The awsglue stand-in of the Glue-shaped run resolves arguments by Glue's rules (awsglue/utils.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

# Loaded under a private name: putting the stand-in on sys.path would turn every later test in this process
# into a "Glue" run (energylake.runtime.glue_available looks for an importable awsglue).
_SPEC = importlib.util.spec_from_file_location(
    "glue_shaped_awsglue_utils", Path(__file__).parent / "glue_shaped" / "stand_in" / "awsglue" / "utils.py"
)
utils = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(utils)

DEPLOYED = [
    "script.py",
    "--JOB_ID",
    "j_1",
    "--JOB_RUN_ID",
    "jr_1",
    "--JOB_NAME",
    "lake-dev-telemetry",
    "--job-bookmark-option",
    "job-bookmark-enable",
    "--extra-py-files",
    "s3://a/libs/energylake.whl",
    "--TempDir",
    "s3://a/tmp/",
    "--input_path",
    "s3://r/telemetry/",
]


def test_requested_arguments_and_glues_own_are_resolved_others_ignored() -> None:
    args = utils.getResolvedOptions(DEPLOYED, ["JOB_NAME", "input_path"])
    assert args["JOB_NAME"] == "lake-dev-telemetry"
    assert args["input_path"] == "s3://r/telemetry/"
    assert args["job_bookmark_option"] == "job-bookmark-enable"
    assert args["TempDir"] == args["RedshiftTempDir"] == "s3://a/tmp/"
    assert args["JOB_RUN_ID"] == "jr_1"
    assert args["SECURITY_CONFIGURATION"] is None
    assert "extra-py-files" not in args and "extra_py_files" not in args


def test_a_missing_requested_argument_fails_the_run() -> None:
    with pytest.raises(utils.GlueArgumentError, match="--output_path"):
        utils.getResolvedOptions(DEPLOYED, ["input_path", "output_path"])


def test_bookmark_option_takes_only_glues_values_and_defaults_to_disabled() -> None:
    with pytest.raises(utils.GlueArgumentError, match="invalid choice"):
        utils.getResolvedOptions([*DEPLOYED[:7], "--job-bookmark-option", "enable"], [])
    assert utils.getResolvedOptions(DEPLOYED[:7], [])["job_bookmark_option"] == "job-bookmark-disable"


@pytest.mark.parametrize("reserved", ["JOB_ID", "job-bookmark-option", "encryption-type", "job-bookmark-from"])
def test_reserved_names_cannot_be_requested(reserved: str) -> None:
    with pytest.raises(RuntimeError, match="reserved"):
        utils.getResolvedOptions(DEPLOYED, [reserved])


def test_bookmark_range_needs_pause_and_both_ends() -> None:
    with pytest.raises(RuntimeError, match="Invalid option"):
        utils.getResolvedOptions([*DEPLOYED, "--job-bookmark-from", "a", "--job-bookmark-to", "b"], [])
    paused = ["s.py", "--job-bookmark-option", "job-bookmark-pause", "--job-bookmark-from", "a"]
    with pytest.raises(RuntimeError, match="--job-bookmark-to"):
        utils.getResolvedOptions(paused, [])
    assert utils.getResolvedOptions([*paused, "--job-bookmark-to", "b"], [])["job_bookmark_to"] == "b"


def test_a_value_that_looks_like_an_option_is_not_a_value() -> None:
    # argparse reads "--x" after a required option as the next option, as Glue does: the option has no value.
    with pytest.raises(utils.GlueArgumentError, match="--input_path"):
        utils.getResolvedOptions(["s.py", "--input_path", "--other", "v"], ["input_path"])
