"""The demo report: PNG charts and index.html built from the catalog's tables and the run's own figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # headless
import matplotlib.pyplot as plt
import pandas as pd

from lakectl.pipeline import RunState
from lakectl.report import Chart, Section, write_report

if TYPE_CHECKING:
    from lakectl.demo import DemoConfig


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _ts(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    frame = frame.copy()
    frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame.sort_values(col)


def generation_chart(frame: pd.DataFrame, out: Path) -> Chart:
    """Per site: hourly generation (MWh) with wind speed (wind) or irradiance (solar) on a second axis."""
    frame = _ts(frame, "hour_ts")
    sites = sorted(frame["site_id"].unique())
    fig, axes = plt.subplots(len(sites), 1, figsize=(10, 2.2 * len(sites)), sharex=True, squeeze=False)
    for ax, site in zip(axes[:, 0], sites, strict=True):
        rows = frame[frame["site_id"] == site]
        ax.plot(rows["hour_ts"], rows["generation_mwh"], color="#2e8b57", label="generation MWh")
        ax.set_ylabel("MWh", fontsize=8)
        ax.set_title(f"{site} ({rows['site_type'].iloc[0]})", fontsize=9)
        twin = ax.twinx()
        weather = "avg_irradiance_wm2" if rows["site_type"].iloc[0] == "solar" else "avg_wind_speed_ms"
        twin.plot(rows["hour_ts"], rows[weather], color="#d2691e", linestyle="--", label=weather)
        twin.set_ylabel(weather, fontsize=7)
    axes[-1, 0].tick_params(axis="x", labelrotation=30, labelsize=7)
    return Chart(
        "Hourly generation vs wind speed / irradiance",
        _save(fig, out / "site_generation.png"),
        "site_hourly_generation (curated): telemetry active power per site and hour, with the site's measured "
        "wind speed (wind) or irradiance (solar) from the same devices.",
    )


def grid_chart(frame: pd.DataFrame, out: Path) -> Chart:
    """ERCOT load and hub prices against site-averaged weather, hour by hour."""
    frame = _ts(frame, "hour_ts")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True)
    top.plot(frame["hour_ts"], frame["total_load_mw"], color="#1f4e79", label="ERCOT load MW")
    top.set_ylabel("MW")
    twin = top.twinx()
    twin.plot(frame["hour_ts"], frame["avg_hub_price_usd_mwh"], "o-", color="#c0392b", label="hub price $/MWh")
    twin.set_ylabel("$/MWh")
    top.set_title("ERCOT system load and average hub price", fontsize=10)
    bottom.plot(frame["hour_ts"], frame["avg_temperature_c"], color="#e67e22", label="temperature °C")
    bottom.plot(frame["hour_ts"], frame["avg_wind_speed_ms"], color="#16a085", label="wind speed m/s")
    bottom.legend(fontsize=8)
    bottom.set_title("Weather averaged over the sites (Open-Meteo)", fontsize=10)
    bottom.tick_params(axis="x", labelrotation=30, labelsize=7)
    return Chart(
        "ERCOT load and prices vs weather",
        _save(fig, out / "grid_weather.png"),
        "grid_weather_hourly (curated). Gaps are hours the recorded ERCOT/Open-Meteo responses do not cover.",
    )


def windfarm_chart(frame: pd.DataFrame, out: Path) -> Chart:
    """Average and p95 of each wind-farm metric per device."""
    metrics = sorted(frame["metric"].unique())
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        rows = frame[frame["metric"] == metric].groupby("device_id")[["avg_value", "p95_value"]].mean()
        rows.plot.barh(ax=ax, legend=False, color=["#2e8b57", "#95a5a6"])
        ax.set_title(metric, fontsize=9)
        ax.tick_params(labelsize=6)
        ax.set_ylabel("")
    axes[0, 0].legend(["avg", "p95"], fontsize=7)
    return Chart(
        "Wind-farm device metrics",
        _save(fig, out / "windfarm_metrics.png"),
        "windfarm_daily_metrics (curated): per device, the average and 95th percentile of every metric.",
    )


def client_chart(frame: pd.DataFrame, out: Path) -> Chart:
    """Energy bought per region and segment, from client_analytics as the analyst persona sees it."""
    frame = frame.copy()
    frame["total_energy_mwh"] = frame["total_energy_mwh"].astype(float)
    pivot = frame.pivot_table(index="region", columns="segment", values="total_energy_mwh", aggfunc="sum").fillna(0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    pivot.plot.bar(stacked=True, ax=left, rot=30)
    left.set_ylabel("MWh")
    left.set_title("Energy bought per region and segment", fontsize=10)
    counts = frame.groupby("segment")["customer_id"].count()
    counts.plot.bar(ax=right, color="#1f4e79", rot=0)
    right.set_title("Clients per segment", fontsize=10)
    return Chart(
        "Client analytics (analyst persona)",
        _save(fig, out / "client_analytics.png"),
        "client_analytics read through the local Athena engine as the analyst: no customer names or e-mails.",
    )


def quarantine_chart(frame: pd.DataFrame, out: Path) -> Chart | None:
    """Quarantined records per dataset and reason code."""
    if frame.empty:
        return None
    reasons = frame["reason"].str.split(":").str[0]
    counts = frame.assign(reason_code=reasons).groupby(["dataset", "reason_code"]).size().unstack(fill_value=0)
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(counts) + 2.5))
    counts.plot.barh(stacked=True, ax=ax)
    ax.set_xlabel("records")
    ax.legend(fontsize=7)
    ax.set_title("Quarantine: records per dataset and reason", fontsize=10)
    return Chart(
        "Quarantined records",
        _save(fig, out / "quarantine.png"),
        "energy_quarantine.quarantine_records: every rejected record with its reason (malformed lines, bad types, "
        "range rules, DMS problems); nothing is dropped silently.",
    )


def quarantine_reasons(frame: pd.DataFrame) -> pd.DataFrame:
    """Quarantined records per dataset and full reason, most frequent first (what the chart groups by code)."""
    if frame.empty:
        return pd.DataFrame(columns=["dataset", "reason", "records"])
    counts = frame.groupby(["dataset", "reason"]).size().rename("records").reset_index()
    return counts.sort_values(["records", "dataset", "reason"], ascending=[False, True, True]).reset_index(drop=True)


def accounting_frame(jobs: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Row accounting per Glue job of this run."""
    rows = []
    for name, m in jobs.items():
        rows.append(
            {
                "job": name,
                "kind": m["kind"],
                "input objects": m["input_objects"],
                "read": m["rows_read"],
                "written": m["rows_written"],
                "quarantined": m["rows_quarantined"],
                "deduplicated": m["rows_deduplicated"],
                # Readings of sensors a device does not have: neither written nor bad data.
                "not reported": m.get("rows_not_reported", 0),
                "aggregated": m["rows_aggregated"],
                "balanced": m["balanced"],
                "seconds": m["duration_s"],
            }
        )
    return pd.DataFrame(rows)


def accounting_chart(frame: pd.DataFrame, out: Path) -> Chart:
    """Rows read vs written/quarantined/deduplicated per job (log scale: telemetry dwarfs the rest)."""
    records = frame[frame["kind"] == "records"].set_index("job")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    records[["written", "quarantined", "deduplicated", "not reported"]].plot.barh(stacked=True, ax=left)
    left.scatter(records["read"], range(len(records)), color="black", marker="|", s=300, label="read", zorder=3)
    left.set_xscale("symlog")
    left.set_title("Record jobs: read = written + quarantined + deduplicated + not reported", fontsize=9)
    left.legend(fontsize=7)
    agg = frame[frame["kind"] == "aggregate"].set_index("job")
    agg[["read", "written"]].plot.barh(ax=right, color=["#95a5a6", "#2e8b57"])
    right.set_xscale("symlog")
    right.set_title("Curated jobs: input rows aggregated, output rows", fontsize=9)
    right.legend(["rows read (all aggregated)", "rows written"], fontsize=7)
    for ax in (left, right):
        ax.tick_params(labelsize=7)
        ax.set_ylabel("")
    return Chart("Row accounting per job", _save(fig, out / "row_accounting.png"), "From each job's JobMetrics.")


def timings_chart(steps: dict[str, float], jobs: dict[str, dict[str, Any]], out: Path) -> Chart:
    """Wall time per demo step and per Glue job."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    pd.Series(steps).plot.barh(ax=left, color="#1f4e79")
    left.set_title("Seconds per demo step", fontsize=9)
    pd.Series({k: v["duration_s"] for k, v in jobs.items()}).plot.barh(ax=right, color="#2e8b57")
    right.set_title("Seconds per Glue job (local Spark)", fontsize=9)
    for ax in (left, right):
        ax.tick_params(labelsize=7)
    return Chart("Run timings", _save(fig, out / "timings.png"), "This run, on this machine.")


def forecast_chart(metrics: dict[str, Any], out: Path) -> Chart:
    """MAE and RMSE of the model against persistence and climatology on the held-out days."""
    frame = pd.DataFrame({k: metrics[k] for k in ("model", "persistence", "climatology")}).T
    fig, ax = plt.subplots(figsize=(7, 3.5))
    frame.plot.bar(ax=ax, rot=0)
    ax.set_ylabel("MWh")
    ax.set_title(f"Forecast error on {metrics['holdout_days']} held-out days", fontsize=10)
    return Chart(
        "Generation forecast: model vs baselines",
        _save(fig, out / "forecast.png"),
        f"Trained on {metrics['data']}: the demo sample covers too little history to hold out 14 days.",
    )


def _dashboard_frames(query_dir: Path, forecast_dir: Path | None) -> dict[str, pd.DataFrame]:
    """Business panels' frames: the panel queries answered locally, plus the forecast's held-out predictions."""
    from analytics.dashboards import iter_panels

    frames: dict[str, pd.DataFrame] = {}
    for _, panel in iter_panels(("business",)):
        path = query_dir / "panels" / f"{panel['id']:02d}.parquet"
        if path.exists():
            frame = pd.read_parquet(path)
            for col in frame.columns:
                if col == "time":
                    frame[col] = pd.to_datetime(frame[col], utc=True).dt.tz_localize(None)
                elif str(frame[col].dtype).startswith("decimal") or frame[col].dtype == object:
                    converted = pd.to_numeric(frame[col], errors="coerce")
                    if converted.notna().all():
                        frame[col] = converted.astype(float)
            if not frame.empty:
                frames[panel["title"]] = frame
    holdout = forecast_dir / "holdout_predictions.parquet" if forecast_dir else None
    if holdout and holdout.exists():
        from analytics.dashboards.local_data import business_frames

        frames.update(business_frames(holdout))
    return frames


# The demo never writes site_generation_forecast (`make forecast` does): its generation-vs-forecast panel
# shows the forecast's held-out predictions on SYNTHETIC history, and must say so on the chart and beside it.
FORECAST_PANEL_NOTE = "SYNTHETIC history: the forecast's held-out days, not this run's sample"


def dashboard_charts(query_dir: Path, forecast_dir: Path | None, out_dir: Path) -> list[Chart]:
    """Business panels rendered from the locally answered queries; synthetic-data panels labelled as such."""
    from analytics.dashboards import iter_panels, render_panels
    from analytics.dashboards.local_data import FORECAST_PANEL

    frames = _dashboard_frames(query_dir, forecast_dir)
    notes = {FORECAST_PANEL: FORECAST_PANEL_NOTE} if FORECAST_PANEL in frames else {}
    noted_ids = {f"{p['id']:02d}-" for _, p in iter_panels(("business",)) if p["title"] in notes}
    charts = []
    for path in render_panels(frames, out_dir, notes=notes):
        synthetic = any(path.stem.startswith(prefix) for prefix in noted_ids)
        caption = FORECAST_PANEL_NOTE if synthetic else "Athena SQL answered locally as the analyst."
        charts.append(Chart(path.stem, path, caption))
    return charts


def build_report(cfg: DemoConfig, ctx: dict[str, Any]) -> Path:
    """Write every chart and index.html into ``cfg.report_dir``; returns the index path."""
    from lakectl.athena_local import run_query
    from lakectl.demo import read_table

    out = cfg.report_dir
    charts = out / "charts"
    if charts.exists():
        for old in charts.rglob("*.png"):
            old.unlink()
    jobs = ctx.get("jobs", {})
    state = RunState.load(cfg.demo_dir / "pipeline.json")
    steps = {k: v.get("seconds", 0.0) for k, v in state.completed.items() if not k.startswith("__")}
    sections: list[Section] = []

    generation = read_table("site_hourly_generation")
    grid = read_table("grid_weather_hourly")
    windfarm = read_table("windfarm_daily_metrics")
    sections.append(
        Section(
            "Generation and weather",
            "Telemetry from the simulated turbines and inverters (Kinesis → Firehose → raw → Glue), per site and hour.",
            charts=[generation_chart(generation, charts)],
        )
    )
    sections.append(Section("Market and weather", charts=[grid_chart(grid, charts)]))
    sections.append(Section("Wind-farm metrics", charts=[windfarm_chart(windfarm, charts)]))
    clients = run_query("SELECT * FROM client_analytics", "analyst").table.to_pandas()
    personas = ctx.get("athena", {}).get("personas", {})
    persona_table = pd.DataFrame(
        [
            {
                "persona": p,
                "rows": v["rows"],
                "PII columns seen": ", ".join(v["pii_columns_seen"]) or "none",
                "columns": ", ".join(v["columns"]),
            }
            for p, v in personas.items()
        ]
    )
    named = pd.DataFrame([{"named query": k, **v} for k, v in ctx.get("athena", {}).get("named_queries", {}).items()])
    sections.append(
        Section(
            "Client analytics and access control",
            "SELECT * FROM client_analytics as three personas: Lake Formation grants (lakeformation/*.yaml) applied "
            "by the local Athena engine. The analyst gets no PII column; trading_ops may see it; the West analyst "
            "sees only West rows.",
            charts=[client_chart(clients, charts)],
            tables=[("Persona reads", persona_table), ("Athena named queries (as analyst)", named)],
        )
    )
    quarantine = read_table("quarantine_records")
    gate = pd.DataFrame(ctx.get("warehouse", {}).get("gate", []))
    q_chart = quarantine_chart(quarantine, charts)
    wh = ctx.get("warehouse", {})
    wh_rows = pd.DataFrame([{"table": k, "rows": v} for k, v in wh.get("warehouse_rows", {}).items()])
    sections.append(
        Section(
            "Data quality",
            "The warehouse gate (row counts = manifests, keys not null and unique, foreign keys, freshness) ran "
            "before the COPY-equivalent load; the load is one transaction with MERGE and the settlement procedures.",
            charts=[q_chart] if q_chart else [],
            tables=[
                ("Quarantine reasons", quarantine_reasons(quarantine)),
                ("Warehouse data-quality gate", gate),
                ("Warehouse tables after the load", wh_rows),
            ],
        )
    )
    accounting = accounting_frame(jobs)
    ingest = ctx.get("ingest", {})
    ingest_rows = []
    for source in ("windfarm", "devices"):
        produced, delivered = ingest.get(f"produce_{source}", {}), ingest.get(f"deliver_{source}", {})
        ingest_rows.append(
            {
                "source": f"telemetry {source}",
                "sent": produced.get("sent"),
                "to raw": delivered.get("ok"),
                "to errors/": delivered.get("failed"),
                "dropped": delivered.get("dropped"),
            }
        )
    partner = ingest.get("partner", {})
    ingest_rows.append(
        {
            "source": "partner API",
            "sent": partner.get("sent"),
            "to raw": partner.get("accepted"),
            "to errors/": sum((partner.get("rejected") or {}).values()),
            "dropped": 0,
        }
    )
    sections.append(
        Section(
            "Row accounting",
            "Ingest: every record sent is in raw or in errors/ with its reason. Glue record jobs: rows read = "
            "written + quarantined + deduplicated + not reported (rows at the output grain, see glue/README.md; "
            "not reported: a sensor the device's type does not have, sent as null).",
            charts=[accounting_chart(accounting, charts)] if not accounting.empty else [],
            tables=[("Ingest to raw", pd.DataFrame(ingest_rows)), ("Glue jobs", accounting)],
        )
    )
    sections.append(Section("Run timings", charts=[timings_chart(steps, jobs, charts)]))
    forecast = ctx.get("forecast", {})
    forecast_dir = Path(forecast["dir"]) if forecast.get("dir") else None
    if forecast.get("metrics"):
        m = forecast["metrics"]
        summary = pd.DataFrame(
            [{"baseline": k, **m[k]} for k in ("model", "persistence", "climatology")]
            + [{"baseline": "skill vs persistence", "rmse_mwh": m["skill_vs_persistence"]}]
        )
        sections.append(
            Section(
                "Generation forecast",
                "analytics/forecast (HistGradientBoosting on capacity factor), trained as `make train` does. "
                "SYNTHETIC history: the demo sample is one day, the model needs weeks.",
                charts=[forecast_chart(m, charts)],
                tables=[("Held-out scores", summary)],
            )
        )
    panels = dashboard_charts(cfg.demo_dir / "queries", forecast_dir, charts / "dashboards")
    sections.append(
        Section(
            "Dashboard panels (business)",
            "The Grafana business dashboard's panels (analytics/dashboards/business.json) rendered by "
            "analytics.dashboards.render_panels; each panel's Athena SQL was answered locally as the analyst, "
            "except 'Generation vs day-ahead forecast', which shows the forecast's held-out predictions on "
            "SYNTHETIC history (the demo writes no site_generation_forecast; see Generation forecast). The "
            "operations dashboard reads Timestream (the Flink job's output), which the demo does not run: "
            "`make flink-run dashboards` renders it.",
            charts=panels,
        )
    )
    meta = {
        "size": cfg.size,
        "sample": json.dumps(ctx.get("scale") or {}),
        "emulated": "S3, Kinesis, Glue catalog, Athena named queries, IAM, Lambda definitions (moto)",
        "real locally": "Spark (Glue jobs), PostgreSQL (source + warehouse), DuckDB (Athena), Terraform",
    }
    return write_report(out, "Renewable-energy data lake: local demo run", sections, meta)
