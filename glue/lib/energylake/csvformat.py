"""The CSV dialect every CSV source is read with (DMS S3 target files, ERCOT reports): RFC 4180.

RFC 4180 section 2 (https://www.rfc-editor.org/rfc/rfc4180#section-2): fields containing the separator, double
quotes or line breaks are enclosed in double quotes, and a double quote inside such a field is escaped by
preceding it with another double quote (``"Bob ""The Builder"" Ltd"``). Python's ``csv`` module writes this
dialect (the lake's DMS-compatible exporter uses it), and so does DMS: with the S3 endpoint setting ``Rfc4180``
(default true) "if the data has quotation marks or newline characters in it, DMS encloses the entire column
with an additional pair of double quotation marks. Every quotation mark within the data is repeated twice"
([S3Settings] Rfc4180, https://docs.aws.amazon.com/dms/latest/APIReference/API_S3Settings.html). Spark's CSV
reader escapes with a backslash by default, which kept the doubled quotes and split a quoted separator; these
options say RFC 4180 instead.
"""

from __future__ import annotations

QUOTE = '"'
SEPARATOR = ","
# Spark CSV data source options (https://spark.apache.org/docs/3.5.4/sql-data-sources-csv.html): the escape
# character is the quote itself, so "" inside a quoted field is one ".
SPARK_OPTIONS = {"sep": SEPARATOR, "quote": QUOTE, "escape": QUOTE}
