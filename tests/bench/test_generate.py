"""The benchmark generator is deterministic by seed, honours the size asked and writes the briefing's layouts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.generate import generate, generate_history, parse_size, tree_digest


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, object]:
    """One 3 MiB generation shared by the layout tests."""
    out = tmp_path_factory.mktemp("gen") / "a"
    return out, generate(out, seed=11, size="3MB", cdc_changes=3000)


def test_same_seed_gives_identical_bytes(small, tmp_path: Path) -> None:
    out, _ = small
    again = generate(tmp_path / "b", seed=11, size="3MB", cdc_changes=3000)
    assert again.total_bytes > 0
    assert tree_digest(tmp_path / "b") == tree_digest(out)


def test_other_seed_gives_other_bytes(small, tmp_path: Path) -> None:
    out, _ = small
    generate(tmp_path / "c", seed=12, size="3MB", cdc_changes=3000)
    assert tree_digest(tmp_path / "c") != tree_digest(out)


@pytest.mark.parametrize("size", ["1MB", "6MB"])
def test_total_size_is_close_to_target(tmp_path: Path, size: str) -> None:
    stats = generate(tmp_path, seed=1, size=size, cdc_changes=1000)
    on_disk = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert on_disk == stats.total_bytes
    assert abs(on_disk - parse_size(size)) / parse_size(size) < 0.05


def test_layouts_follow_the_briefing(small) -> None:
    out, stats = small
    rel = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    tele = [r for r in rel if r.startswith("raw/telemetry/")]
    assert tele and all(re.fullmatch(r"raw/telemetry/(windfarm|devices)/\d{4}/\d\d/\d\d/\d\d/[^/]+", r) for r in tele)
    assert any(
        re.fullmatch(r"landing/ercot/spp_realtime/\d{4}/\d\d/\d\d/spp_realtime_\d{8}_\d{4}\.csv", r) for r in rel
    )
    assert any(re.fullmatch(r"landing/openmeteo/archive/WF-ROSCOE/\d{4}/\d\d/\d\d/\d{4}\.json", r) for r in rel)
    assert "landing/dms/trading/transactions/LOAD00000001.csv" in rel
    cdc = [r for r in rel if re.fullmatch(r"landing/dms/trading/\w+/\d{8}-\d{9}\.csv", r)]
    assert cdc
    assert stats.records["cdc_changes"] == 3000
    header = (out / cdc[0]).read_text().splitlines()[0].split(",")
    assert header[:2] == ["Op", "dms_commit_ts"]


def test_telemetry_has_both_formats_and_a_share_of_problems(small) -> None:
    out, stats = small
    lines = [ln for p in (out / "raw" / "telemetry").rglob("*") if p.is_file() for ln in p.read_text().splitlines()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    assert any("type" in r and "data" in r for r in parsed)
    assert any("metrics" in r and "firmware" in r for r in parsed)
    n = len(lines)
    assert n == stats.records["telemetry/windfarm"] + stats.records["telemetry/devices"]
    for share in (stats.bad, stats.duplicates, stats.late):
        assert 0.003 < sum(share.values()) / n < 0.05
    assert len(lines) - len(set(lines)) >= sum(stats.duplicates.values()) * 0.9  # exact re-deliveries


def test_history_has_one_folder_per_day(tmp_path: Path) -> None:
    generate_history(tmp_path, seed=3, per_day="200KB", days=4)
    days = {p.relative_to(tmp_path).parts[3:6] for p in (tmp_path / "raw" / "telemetry").rglob("*") if p.is_file()}
    assert len(days) == 4


def test_parse_size_rejects_nonsense() -> None:
    assert parse_size("1GB") == 1024**3
    assert parse_size("50MB") == 50 * 1024**2
    with pytest.raises(ValueError, match="bad size"):
        parse_size("lots")
