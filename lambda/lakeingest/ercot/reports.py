"""The ERCOT reports the lake ingests: MIS report type, document filter and the published CSV header.

The header is the contract with ERCOT: a report whose header differs is a changed layout and fails
the run loudly (nothing is landed), instead of landing a file the transform jobs would misread.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass


class LayoutChangedError(RuntimeError):
    """The report's CSV header is not the one this code was written for."""


@dataclass(frozen=True)
class Report:
    """One ERCOT report as published on the MIS (zip with one CSV)."""

    name: str  # landing key component: system_load | spp_realtime | fuel_mix
    product: str  # ERCOT data product id
    report_type_id: int  # MIS reportTypeId
    header: tuple[str, ...]  # exact leading columns
    trailing_pattern: str | None = None  # regex every further column must match (fuel mix intervals)

    def check_header(self, csv_bytes: bytes, source: str) -> list[str]:
        """Return the header, or raise LayoutChangedError naming the report, the source and the difference."""
        text = csv_bytes.decode("utf-8-sig", errors="replace")
        first_line = text.splitlines()[0] if text else ""
        header = next(csv.reader(io.StringIO(first_line)), [])
        header = [h.strip() for h in header]
        lead, rest = header[: len(self.header)], header[len(self.header) :]
        problems: list[str] = []
        if tuple(lead) != self.header:
            missing = [c for c in self.header if c not in header]
            extra = [c for c in lead if c not in self.header]
            problems.append(
                f"expected leading columns {list(self.header)}, got {lead} (missing {missing}, unexpected {extra})"
            )
        if self.trailing_pattern is None:
            if rest:
                problems.append(f"unexpected extra columns {rest}")
        else:
            bad = [c for c in rest if not re.fullmatch(self.trailing_pattern, c)]
            if bad or not rest:
                problems.append(f"interval columns must match {self.trailing_pattern!r}; bad: {bad or 'none present'}")
        if problems:
            raise LayoutChangedError(
                f"ERCOT {self.product} ({self.name}) layout changed in {source}: " + "; ".join(problems)
            )
        return header


SYSTEM_LOAD = Report(
    name="system_load",
    product="NP6-345-CD",
    report_type_id=13101,
    header=(
        "OperDay",
        "HourEnding",
        "COAST",
        "EAST",
        "FAR_WEST",
        "NORTH",
        "NORTH_C",
        "SOUTHERN",
        "SOUTH_C",
        "WEST",
        "TOTAL",
        "DSTFlag",
    ),
)
SPP_REALTIME = Report(
    name="spp_realtime",
    product="NP6-905-CD",
    report_type_id=12301,
    header=(
        "DeliveryDate",
        "DeliveryHour",
        "DeliveryInterval",
        "SettlementPointName",
        "SettlementPointType",
        "SettlementPointPrice",
        "DSTFlag",
    ),
)
# Generation by fuel, the daily layout of ERCOT's Fuel Mix Report: one row per fuel and settlement type,
# then one column per 15-minute interval ending (0:15 ... 24:00; 92 or 100 on DST change days).
FUEL_MIX = Report(
    name="fuel_mix",
    product="Fuel Mix Report",
    report_type_id=13367,
    header=("Date", "Fuel", "Settlement Type", "Total"),
    trailing_pattern=r"\d{1,2}:\d{2}\*?",
)

REPORTS: dict[str, Report] = {r.name: r for r in (SYSTEM_LOAD, SPP_REALTIME, FUEL_MIX)}
