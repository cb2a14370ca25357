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
