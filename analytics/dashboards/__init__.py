"""Grafana dashboards as code (operations: Timestream; business: Athena over energy_curated) and a renderer.

``render_panels(data_frames, out_dir)`` draws every panel of the dashboard JSON with matplotlib from local
pandas DataFrames keyed by panel title (the frame is what the panel's query returns), for the demo report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: the report runs without a display
import matplotlib.pyplot as plt
import pandas as pd

DASHBOARD_DIR = Path(__file__).resolve().parent
DASHBOARDS = ("operations", "business")


def load_dashboard(name: str) -> dict[str, Any]:
    """A dashboard's JSON model (operations or business)."""
    return json.loads((DASHBOARD_DIR / f"{name}.json").read_text())


def panel_query(panel: dict[str, Any]) -> str:
    """The panel's query text (Timestream ``rawQuery``, Athena ``rawSQL`` or InfluxDB Flux ``query``)."""
    target = panel["targets"][0]
    return target.get("rawQuery") or target.get("rawSQL") or target.get("query") or ""


def iter_panels(names: tuple[str, ...] = DASHBOARDS) -> list[tuple[str, dict[str, Any]]]:
    """(dashboard name, panel) for every panel of the dashboards."""
    return [(name, panel) for name in names for panel in load_dashboard(name)["panels"]]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _draw(ax: plt.Axes, kind: str, frame: pd.DataFrame) -> None:
    """Timeseries: first time column on x, one line per (first text column, numeric column); bars; tables."""
    times = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    texts = [c for c in frame.columns if frame[c].dtype == object and c not in times]
    numbers = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and c not in times]
    if kind == "timeseries" and times and numbers:
        x = times[0]
        groups = frame.groupby(texts[0]) if texts else [("", frame)]
        for key, group in groups:
            for col in numbers:
                label = f"{key} {col}".strip() if len(numbers) > 1 or not key else str(key)
                ax.plot(group[x], group[col], label=label, linewidth=1.2)
        ax.legend(fontsize=7, loc="best")
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    elif kind == "barchart" and texts and numbers:
        frame.plot.bar(x=texts[0], y=numbers, ax=ax, legend=len(numbers) > 1, rot=0)
    else:
        ax.axis("off")
        shown = frame.head(15).map(lambda v: f"{v:.3f}" if isinstance(v, float) else str(v))
        table = ax.table(cellText=shown.to_numpy(), colLabels=list(shown.columns), loc="center")
        table.auto_set_font_size(False)
        table.set_fontsize(7)


def render_panels(
    data_frames: dict[str, pd.DataFrame], out_dir: str | Path, notes: dict[str, str] | None = None
) -> list[Path]:
    """Render every dashboard panel that has a frame (keyed by panel title) to ``<out_dir>/<dashboard>/*.png``.

    ``notes`` (keyed by panel title) are drawn under the title, e.g. to say the data is synthetic.
    """
    out = Path(out_dir)
    notes = notes or {}
    written: list[Path] = []
    for dashboard, panel in iter_panels():
        frame = data_frames.get(panel["title"])
        if frame is None:
            continue
        if frame.empty:
            raise ValueError(f"panel {panel['title']!r}: the data frame is empty")
        fig, ax = plt.subplots(figsize=(9, 4))
        _draw(ax, panel["type"], frame)
        note = notes.get(panel["title"])
        ax.set_title(f"{panel['title']}\n{note}" if note else panel["title"], fontsize=11 if not note else 9)
        fig.text(0.01, 0.01, panel_query(panel)[:150], fontsize=6, color="gray")
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        target = out / dashboard / f"{panel['id']:02d}-{_slug(panel['title'])}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, dpi=90)
        plt.close(fig)
        written.append(target)
    return written
