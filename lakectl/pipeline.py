"""A small resumable step runner with a progress display, used by `make demo` and `make ingest`.

Each step is an idempotent function; the runner records which steps completed in a state file so a
failed run resumes at the failed step, and every failure names the step and what to do next.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class StepFailedError(RuntimeError):
    """A pipeline step failed; the message names the step, the cause and how to resume."""


@dataclass(frozen=True)
class Step:
    """One named, idempotent unit of work."""

    name: str
    description: str
    run: Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass
class RunState:
    """Persisted progress of one pipeline: completed steps, their outputs and timings."""

    path: Path
    completed: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> RunState:
        """Read the state file, or start empty when there is none."""
        if path.exists():
            return cls(path, json.loads(path.read_text()).get("completed", {}))
        return cls(path)

    def save(self) -> None:
        """Write the state atomically (rename) so a crash never leaves a torn file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"completed": self.completed}, indent=2, default=str))
        tmp.replace(self.path)


def run_steps(
    steps: list[Step],
    state_path: Path,
    context: dict[str, Any],
    *,
    resume: bool = True,
    console: Console | None = None,
) -> dict[str, dict[str, Any]]:
    """Run the steps in order with a progress bar; return each step's output and timing.

    With ``resume`` a run that failed earlier skips the steps that already completed in that
    run; a run that finished completely starts again from the first step (every step is idempotent).
    """
    console = console or Console(stderr=True)
    state = RunState.load(state_path)
    finished_before = state.completed.get("__run__", {}).get("status") == "finished"
    if not resume or finished_before:
        state.completed = {}
    results: dict[str, dict[str, Any]] = {}
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        overall = progress.add_task("lake", total=len(steps))
        for step in steps:
            if step.name in state.completed:
                results[step.name] = state.completed[step.name]
                context.update(state.completed[step.name].get("output") or {})
                progress.update(overall, advance=1, description=f"[dim]{step.name} (done earlier)")
                continue
            progress.update(overall, description=f"{step.name}: {step.description}")
            started = time.monotonic()
            try:
                output = step.run(context) or {}
            except Exception as exc:
                state.completed["__run__"] = {"status": "failed", "step": step.name}
                state.save()
                detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                raise StepFailedError(
                    f"step '{step.name}' ({step.description}) failed: {detail}. "
                    f"Fix the cause and run the same command again: it resumes at '{step.name}'."
                ) from exc
            context.update(output)
            record = {"output": _jsonable(output), "seconds": round(time.monotonic() - started, 2)}
            state.completed[step.name] = record
            state.save()
            results[step.name] = record
            progress.update(overall, advance=1)
    state.completed["__run__"] = {"status": "finished"}
    state.save()
    return results


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON so the state file only holds plain data."""
    return json.loads(json.dumps(value, default=str))
