"""``awsglue.context.GlueContext`` stand-in: wraps the SparkContext Glue created before the script started."""

from __future__ import annotations

from pyspark import SparkContext
from pyspark.sql import SparkSession


class GlueContext:
    def __init__(self, spark_context: SparkContext, **options: object) -> None:
        if not isinstance(spark_context, SparkContext):
            raise TypeError(f"GlueContext needs a SparkContext, got {type(spark_context).__name__}")
        self._sc = spark_context
        self.spark_session = SparkSession(spark_context)
