"""Spark SQL functions of the energylake JVM library (glue/jvm, a jar Glue gets with --extra-jars).

Registered in a session on first use and called by name, so the Python library and its jobs stay the only
code a pipeline author reads; each function's contract (arguments, result type) is declared here.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F

JSON_OBJECT_FIELDS = "energylake_json_object_fields"
JSON_OBJECT_FIELDS_CLASS = "energylake.spark.JsonObjectFields"
# One JSON object line: malformed (not one JSON object), its unknown keys (sorted, comma-joined), its first
# repeated key, each known key's value as text and as a number (when it is one), and one nested object's
# members (text only when the member is not a number), and whether anything but whitespace follows the object
# (``trailing``: the line holds more than one JSON value; its fields are then not read).
JSON_OBJECT_FIELDS_TYPE = (
    "struct<malformed:boolean,unknown:string,repeated:string,text:array<string>,number:array<double>,"
    "entries:array<struct<key:string,number:double,text:string>>,trailing:boolean>"
)


class JvmFunctionsMissingError(RuntimeError):
    """The energylake jar is not on Spark's classpath; the message says how to put it there."""


def _register(spark: SparkSession) -> None:
    # Registered on every use (a job uses it once): catalog.functionExists would also look the name up in the
    # metastore, on Glue the Data Catalog, which the job role need not be allowed to read functions from.
    try:
        spark.udf.registerJavaFunction(JSON_OBJECT_FIELDS, JSON_OBJECT_FIELDS_CLASS, JSON_OBJECT_FIELDS_TYPE)
    except Exception as error:  # py4j or an AnalysisException, depending on where the class lookup failed
        if "ClassNotFound" not in str(error) and "Can not load class" not in str(error):
            raise
        raise JvmFunctionsMissingError(
            f"{JSON_OBJECT_FIELDS_CLASS} is not on Spark's classpath: locally `make setup` builds "
            "build/jvm/energylake-functions.jar (the local runner's session adds it); on Glue pass its S3 "
            "location with --extra-jars (terraform/modules/glue_catalog_etl: library_jar_path)"
        ) from error


def json_object_fields(spark: SparkSession, line: Column, keys: Sequence[str], nested: str) -> Column:
    """A JSON object line (text) read in one pass: the JSON_OBJECT_FIELDS_TYPE struct for ``keys`` and ``nested``.

    ``text[i]``/``number[i]`` hold ``keys[i]``'s value (null when absent or JSON null; text as Spark's
    from_json with a map of strings gives it, a number as written); a key outside ``keys`` is unknown;
    ``entries`` lists the members of ``nested`` when its value is an object (its text is then null).
    """
    if "," in "".join(keys):
        raise ValueError(f"JSON keys passed to {JSON_OBJECT_FIELDS} cannot contain ',': {list(keys)}")
    _register(spark)
    return F.call_udf(JSON_OBJECT_FIELDS, line.cast("binary"), F.lit(",".join(keys)), F.lit(nested))
