"""Static HTML report (index.html + PNG charts) that a person can open after `make demo`."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd


@dataclass
class Chart:
    """A rendered PNG chart and its caption."""

    title: str
    png: Path
    caption: str = ""


@dataclass
class Section:
    """One report section: a heading, optional text, charts and tables."""

    title: str
    text: str = ""
    charts: list[Chart] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #1d2a35; }
h1 { border-bottom: 3px solid #2e8b57; padding-bottom: .3rem; }
h2 { margin-top: 2.5rem; color: #2e5e4e; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .9rem; }
th, td { border: 1px solid #c9d3dc; padding: .25rem .6rem; text-align: right; }
th { background: #eef3f1; } td:first-child, th:first-child { text-align: left; }
figure { display: inline-block; margin: .5rem 1rem .5rem 0; vertical-align: top; }
figure img { max-width: 560px; border: 1px solid #dde3e8; }
figcaption { font-size: .85rem; color: #55636f; max-width: 560px; }
.meta { color: #55636f; font-size: .9rem; }
"""


def _table_html(title: str, frame: pd.DataFrame) -> str:
    body = frame.to_html(index=False, border=0, na_rep="", float_format=lambda v: f"{v:,.3f}")
    return f"<h3>{html.escape(title)}</h3>\n{body}"


def write_report(out_dir: Path, title: str, sections: Sequence[Section], meta: dict[str, str] | None = None) -> Path:
    """Write ``out_dir/index.html`` referencing the charts by relative path; return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta_items = "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in (meta or {}).items())
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class='meta'>Generated {generated}</p><ul class='meta'>{meta_items}</ul>",
    ]
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        if section.text:
            parts.append(f"<p>{html.escape(section.text)}</p>")
        for chart in section.charts:
            rel = chart.png.resolve().relative_to(out_dir.resolve()) if chart.png.is_absolute() else chart.png
            parts.append(
                f"<figure><img src='{html.escape(str(rel))}' alt='{html.escape(chart.title)}'>"
                f"<figcaption><b>{html.escape(chart.title)}</b> {html.escape(chart.caption)}</figcaption></figure>"
            )
        for table_title, frame in section.tables:
            parts.append(_table_html(table_title, frame))
    parts.append("</body></html>")
    index = out_dir / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    return index
