"""Spark schemas derived from dataset contracts (never written by hand)."""

from __future__ import annotations

from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    ShortType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from energylake.contracts import _DECIMAL, DatasetContract

_SIMPLE: dict[str, DataType] = {
    "string": StringType(),
    "boolean": BooleanType(),
    "int": IntegerType(),
    "bigint": LongType(),
    "smallint": ShortType(),
    "double": DoubleType(),
    "float": FloatType(),
    "date": DateType(),
    "timestamp": TimestampType(),
}


def spark_type(glue_type: str) -> DataType:
    """The Spark DataType for a contract's Glue/Hive type string."""
    if glue_type in _SIMPLE:
        return _SIMPLE[glue_type]
    match = _DECIMAL.match(glue_type)
    if not match:
        raise ValueError(f"unsupported Glue type {glue_type!r}")
    return DecimalType(int(match.group(1)), int(match.group(2)))


def struct_type(contract: DatasetContract, partitions: bool = True) -> StructType:
    """StructType of a contract's columns (optionally without the partition columns)."""
    columns = contract.columns if partitions else contract.data_columns
    return StructType([StructField(c.name, spark_type(c.type), c.nullable) for c in columns])


def string_struct(names: list[str] | tuple[str, ...], corrupt_column: str | None = None) -> StructType:
    """An all-string StructType for parsing raw text before explicit, checked casting."""
    fields = [StructField(n, StringType(), True) for n in names]
    if corrupt_column:
        fields.append(StructField(corrupt_column, StringType(), True))
    return StructType(fields)
