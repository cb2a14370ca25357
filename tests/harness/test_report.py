"""The demo report writer embeds charts by relative path and renders tables."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from lakectl.report import Chart, Section, write_report


def test_report_links_charts_and_renders_tables(tmp_path: Path):
    charts = tmp_path / "charts"
    charts.mkdir()
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2])
    fig.savefig(charts / "line.png")
    plt.close(fig)
    accounting = pd.DataFrame({"job": ["telemetry_to_transform"], "read": [10], "written": [8], "quarantined": [2]})

    index = write_report(
        tmp_path,
        "Lake <demo>",
        [
            Section("Generation", "text & more", charts=[Chart("Line", charts / "line.png", "a caption")]),
            Section("Accounting", tables=[("Rows per job", accounting)]),
        ],
        meta={"size": "small"},
    )

    page = index.read_text()
    assert "src='charts/line.png'" in page
    assert "Lake &lt;demo&gt;" in page and "text &amp; more" in page
    assert "<td>telemetry_to_transform</td>" in page
    assert (tmp_path / "charts/line.png").stat().st_size > 0


def test_forecast_panel_from_synthetic_history_is_labelled(tmp_path: Path):
    from lakectl.demo_report import FORECAST_PANEL_NOTE, dashboard_charts

    hours = pd.date_range("2024-01-01", periods=48, freq="h")
    holdout = pd.DataFrame(
        {
            "site_id": ["WF-ROSCOE"] * 48,
            "hour_ts": hours,
            "generation_mwh": [float(i % 24) for i in range(48)],
            "forecast_mwh": [float(i % 24) + 0.5 for i in range(48)],
        }
    )
    forecast_dir = tmp_path / "forecast"
    forecast_dir.mkdir()
    holdout.to_parquet(forecast_dir / "holdout_predictions.parquet")

    charts = dashboard_charts(tmp_path / "no-queries", forecast_dir, tmp_path / "labelled")
    assert len(charts) == 1 and charts[0].caption == FORECAST_PANEL_NOTE and "SYNTHETIC" in FORECAST_PANEL_NOTE
    assert "generation-vs-day-ahead-forecast" in charts[0].png.name and charts[0].png.stat().st_size > 5000
    # The note is drawn on the chart itself, not only in the caption.
    from analytics.dashboards import render_panels
    from analytics.dashboards.local_data import business_frames

    plain = render_panels(business_frames(forecast_dir / "holdout_predictions.parquet"), tmp_path / "plain")
    assert plain[0].read_bytes() != charts[0].png.read_bytes()
