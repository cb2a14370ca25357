"""The resumable step runner behind `make demo`: failures name the step, reruns resume there."""

from pathlib import Path

import pytest

from lakectl.pipeline import Step, StepFailedError, run_steps


def _recording_steps(calls: list[str], fail_on: set[str]) -> list[Step]:
    def make(name: str) -> Step:
        def run(ctx: dict) -> dict:
            calls.append(name)
            if name in fail_on:
                raise OSError(f"{name} exploded")
            return {f"{name}_out": ctx.get("seed", 0) + len(calls)}

        return Step(name, f"do {name}", run)

    return [make(n) for n in ("start", "ingest", "etl", "report")]


def test_failure_names_step_and_rerun_resumes_at_it(tmp_path: Path):
    state = tmp_path / "state.json"
    calls: list[str] = []
    with pytest.raises(StepFailedError, match=r"step 'etl' \(do etl\) failed: OSError: etl exploded.*resumes at 'etl'"):
        run_steps(_recording_steps(calls, {"etl"}), state, {"seed": 1})
    assert calls == ["start", "ingest", "etl"]

    calls.clear()
    ctx: dict = {"seed": 1}
    results = run_steps(_recording_steps(calls, set()), state, ctx)
    assert calls == ["etl", "report"]  # start and ingest were not repeated
    assert set(results) == {"start", "ingest", "etl", "report"}
    assert ctx["ingest_out"] == 3  # outputs of resumed steps are restored into the context


def test_finished_run_starts_again_from_the_first_step(tmp_path: Path):
    state = tmp_path / "state.json"
    calls: list[str] = []
    run_steps(_recording_steps(calls, set()), state, {})
    calls.clear()
    run_steps(_recording_steps(calls, set()), state, {})
    assert calls == ["start", "ingest", "etl", "report"]


def test_no_resume_ignores_earlier_failure(tmp_path: Path):
    state = tmp_path / "state.json"
    calls: list[str] = []
    with pytest.raises(StepFailedError):
        run_steps(_recording_steps(calls, {"ingest"}), state, {})
    calls.clear()
    run_steps(_recording_steps(calls, set()), state, {}, resume=False)
    assert calls == ["start", "ingest", "etl", "report"]
