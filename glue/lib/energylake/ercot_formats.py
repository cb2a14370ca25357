"""The field formats ERCOT's public reports are published in, parsed per row (a value in no documented form is
quarantined with its reason; it never fails the job or shifts a time).

ERCOT data products (https://www.ercot.com/mp/data-products/data-product-details?id=NP6-905-CD,
NP6-345-CD, and the fuel-mix report IntGenbyFuel) write the day as MM/DD/YYYY; files saved through Excel
drop the zero padding (7/5/2024) and the fuel-mix workbook writes two-digit years (01/14/24), and ERCOT's
Public API returns ISO dates (2024-07-15). Hours are "hour ending" 1-24 (written 1, 01 or 01:00, 24:00 the
last), settlement intervals 1-4 within the hour; on the fall-back day the repeated hour is written again
with DSTFlag=Y, so no hour 25 exists.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

# US month/day/year with or without zero padding, 2 or 4 year digits; or ISO year-month-day.
US_DATE = r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})$"
ISO_DATE = r"^(\d{4})-(\d{2})-(\d{2})$"
TWO_DIGIT_YEAR_BASE = 2000  # ERCOT's market data starts after 2000 (two-digit years are 20yy)
HOUR_TEXT = r"^(\d{1,2})(:00)?$"  # hour ending: 1, 01 or 01:00
# Documented ranges (inclusive) of the reports' integer fields.
# (ercot_system_load's hour_ending range is a rule of its contract, checked with the other contract rules.)
RANGES = {"delivery_hour": (1, 24), "delivery_interval": (1, 4)}


def ercot_date(text: Column) -> Column:
    """The date of a documented ERCOT date text; null for anything else (make_date is null on 02/30)."""
    value = F.trim(text)
    us_year = F.regexp_extract(value, US_DATE, 3)
    year = F.when(F.length(us_year) == 2, us_year.cast("int") + TWO_DIGIT_YEAR_BASE).otherwise(us_year.cast("int"))
    us = F.make_date(
        year, F.regexp_extract(value, US_DATE, 1).cast("int"), F.regexp_extract(value, US_DATE, 2).cast("int")
    )
    iso = F.make_date(*[F.regexp_extract(value, ISO_DATE, i).cast("int") for i in (1, 2, 3)])
    return F.when(value.rlike(US_DATE), us).when(value.rlike(ISO_DATE), iso)


def hour_text(text: Column) -> Column:
    """The number of an hour-ending text (``1``, ``01``, ``01:00``) as text; the text itself when not an hour
    (so the cast check names it as invalid)."""
    value = F.trim(text)
    return F.when(value.rlike(HOUR_TEXT), F.regexp_extract(value, HOUR_TEXT, 1)).otherwise(value)


def range_failures(columns: dict[str, Column]) -> Column:
    """Why the named integer fields are outside their documented RANGES ('' when inside), joined by '; '."""
    checks = []
    for name, column in columns.items():
        low, high = RANGES[name]
        label = f"out_of_range:{name} not in [{low}, {high}] (got "
        checks.append(
            F.when(
                column.isNotNull() & ~column.between(low, high),
                F.concat(F.lit(label), column.cast("string"), F.lit(")")),
            )
        )
    joined = F.concat_ws("; ", *checks)
    return F.when(joined != "", joined)
