"""python -m bench [run|report|cdc|generate] ...: the benchmark's command line (`make bench` calls `run`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench.generate import generate


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the benchmark or only the generator."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="run the whole benchmark and write BENCHMARKS.md")
    run.add_argument("--size", default="1GB")
    run.add_argument("--seed", type=int, default=7)
    run.add_argument("--runs", type=int, default=3)
    run.add_argument("--workdir", type=Path, default=None)
    run.add_argument("--report", type=Path, default=Path("BENCHMARKS.md"))
    run.add_argument("--engines", default="competent,project,project_nojvm,naive,duckdb")
    run.add_argument("--no-incremental", action="store_true")
    run.add_argument("--no-cdc", action="store_true")
    run.add_argument("--cdc-changes", type=int, default=1_000_000, help="CDC batch size (default 1 million)")
    run.add_argument(
        "--cdc-table-rows", type=int, default=None,
        help="apply the CDC batch to a pre-existing table of this many transactions (default: with its full load)",
    )  # fmt: skip
    run.add_argument("--no-athena", action="store_true")
    run.add_argument("--make-test", action="store_true", help="also time `make test` (slow)")
    run.add_argument(
        "--add-point", type=Path, action="append", default=[],
        help="results JSON of a run at another size: joins the fixed vs per-MiB cost fit (repeatable)",
    )  # fmt: skip
    rep = sub.add_parser("report", help="re-render BENCHMARKS.md from a results JSON (no measurement)")
    rep.add_argument("results", type=Path, nargs="?", default=None, help="default: the newest bench/results file")
    rep.add_argument("--report", type=Path, default=Path("BENCHMARKS.md"))
    rep.add_argument("--add-point", type=Path, action="append", default=[], help="as for run")
    rep.add_argument(
        "--cdc-point", type=Path, action="append", default=[],
        help="results JSON of `python -m bench cdc` (another table or batch size): joins the CDC section (repeatable)",
    )  # fmt: skip
    rep.add_argument(
        "--cdc", type=Path, default=None,
        help="results JSON of a later `python -m bench cdc`: replaces the run's CDC section (the report says so)",
    )  # fmt: skip
    rep.add_argument(
        "--warehouse", type=Path, default=None,
        help="results JSON of a later `make bench-warehouse`: replaces the run's warehouse section",
    )  # fmt: skip
    cdc = sub.add_parser("cdc", help="only the CDC apply (project, PySpark merge, DuckDB) on a table of a given size")
    cdc.add_argument("--changes", type=int, default=1_000_000)
    cdc.add_argument("--table-rows", type=int, required=True)
    cdc.add_argument("--runs", type=int, default=3)
    cdc.add_argument("--seed", type=int, default=7)
    cdc.add_argument("--workdir", type=Path, default=None)
    gen = sub.add_parser("generate", help="only generate the input data")
    gen.add_argument("out", type=Path)
    gen.add_argument("--size", default="1GB")
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--days", type=int, default=1)
    args = parser.parse_args(argv)
    if args.cmd == "generate":
        stats = generate(args.out, seed=args.seed, size=args.size, days=args.days)
        print(f"{stats.total_bytes} bytes in {sum(stats.files.values())} files under {args.out}")
        return 0
    if args.cmd == "report":
        from bench.run import newest_results, rerender

        results = args.results or newest_results()
        rerender(results, args.report, args.add_point, args.cdc_point, args.cdc, args.warehouse)
        return 0
    if args.cmd == "cdc":
        from bench.run import run_cdc_bench

        command = os.environ.get("BENCH_COMMAND") or "python -m bench " + " ".join(argv or sys.argv[1:])
        out = run_cdc_bench(args.changes, args.table_rows, args.runs, args.seed, args.workdir, command=command)
        print(out)
        return 0
    from bench.run import run_bench

    res = run_bench(
        size=args.size,
        seed=args.seed,
        runs=args.runs,
        workdir=args.workdir,
        report=args.report,
        engines=tuple(e for e in args.engines.split(",") if e),
        incremental=not args.no_incremental,
        cdc=not args.no_cdc,
        athena_queries=not args.no_athena,
        make_test=args.make_test,
        cdc_changes=args.cdc_changes,
        cdc_table_rows=args.cdc_table_rows,
        add_points=args.add_point,
        command=os.environ.get("BENCH_COMMAND") or "python -m bench " + " ".join(argv or sys.argv[1:]),
    )
    for name, t in res["targets"].items():
        print(f"{name:20s} {t['status']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
