"""Exact casts from text: a value that a type cannot hold exactly does not cast (it is quarantined, never
truncated or rounded into another value).

Spark's (non-ANSI) cast of '304.7' to an integer type gives 304, which for a key is another row's key; only
plain integer text casts to an integral type here. An overflowing integer already casts to null.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql.types import ByteType, DataType, IntegerType, LongType, ShortType

INTEGRAL = (ByteType, ShortType, IntegerType, LongType)
INTEGER_TEXT = r"^[+-]?[0-9]+$"


def does_not_cast(text: Column, dtype: DataType, cast: Column | None = None) -> Column:
    """True when non-null ``text`` does not cast to ``dtype`` exactly (null text is not judged here). ``cast`` is
    ``text.cast(dtype)`` when the caller already has it as a column, so the value is not converted twice."""
    failed = (text.cast(dtype) if cast is None else cast).isNull()
    if isinstance(dtype, INTEGRAL):
        failed = failed | ~text.rlike(INTEGER_TEXT)
    return text.isNotNull() & failed
