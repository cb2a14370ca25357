"""Where warehouse SQL runs: Redshift through the Data API, or the local PostgreSQL stand-in.

Both take the same statement list and run it as ONE transaction, so a failure anywhere leaves the warehouse
unchanged. Locally, the Redshift-only ``COPY ... FORMAT AS PARQUET MANIFEST`` is emulated for real: the
manifest is read from S3, every listed Parquet file is fetched and checked like Redshift does (mandatory
entries present, content_length matching, column count equal to the table's) and streamed into the table
with PostgreSQL ``COPY ... FROM STDIN``.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Protocol

import boto3
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from migration.storage import split_s3_url
from warehouse.ddl import render


class WarehouseError(RuntimeError):
    """A warehouse statement failed; the transaction was rolled back."""


@dataclass(frozen=True)
class CopyJob:
    """A Redshift Parquet COPY of a manifest into a table (kept structured so it can be emulated locally)."""

    table: str
    manifest_url: str
    iam_role: str

    def redshift_sql(self) -> str:
        """The Redshift statement: ``COPY t FROM 's3://…manifest' IAM_ROLE '…' FORMAT AS PARQUET MANIFEST``."""
        table = exp.to_table(self.table).sql(dialect="redshift")
        url = exp.Literal.string(self.manifest_url).sql(dialect="redshift")
        role = exp.Literal.string(self.iam_role).sql(dialect="redshift")
        return f"COPY {table} FROM {url} IAM_ROLE {role} FORMAT AS PARQUET MANIFEST"


@dataclass(frozen=True)
class Statement:
    """One warehouse statement: a sqlglot expression, raw SQL valid in both dialects, or a COPY job."""

    expression: exp.Expression | None = None
    raw: str | None = None
    copy: CopyJob | None = None

    def sql(self, dialect: str) -> str:
        """SQL text for ``redshift`` or ``postgres`` (COPY renders as Redshift SQL)."""
        if self.copy is not None:
            return self.copy.redshift_sql()
        if self.expression is not None:
            return render(self.expression, dialect)
        assert self.raw is not None
        return self.raw


class Executor(Protocol):
    """Runs statement lists transactionally and answers queries."""

    dialect: str

    def execute_transaction(self, statements: list[Statement]) -> None:
        """Run all statements in one transaction (all or nothing)."""

    def query(self, sql: str) -> list[tuple]:
        """Rows of a read-only query."""


@dataclass
class LocalWarehouse:
    """The Redshift stand-in: a real PostgreSQL, with Parquet COPY emulated from the manifest."""

    conninfo: str
    s3: Any = None
    dialect: str = "postgres"
    executed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.s3 is None:
            self.s3 = boto3.client("s3")

    def execute_transaction(self, statements: list[Statement]) -> None:
        """Run all statements in one PostgreSQL transaction; roll back and raise WarehouseError on failure."""
        with psycopg.connect(self.conninfo) as conn:
            try:
                with conn.transaction():
                    for stmt in statements:
                        self.executed.append(stmt.sql("postgres"))
                        if stmt.copy is not None:
                            self._emulate_copy(conn, stmt.copy)
                        else:
                            conn.execute(stmt.sql("postgres"))
            except (psycopg.Error, ValueError, KeyError) as exc:
                raise WarehouseError(f"warehouse transaction rolled back: {exc}") from exc

    def query(self, sql: str) -> list[tuple]:
        """Rows of a query on the stand-in."""
        with psycopg.connect(self.conninfo) as conn:
            return conn.execute(sql).fetchall()

    def _get(self, url: str) -> bytes:
        bucket, key = split_s3_url(url)
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def _emulate_copy(self, conn: psycopg.Connection, job: CopyJob) -> None:
        manifest = json.loads(self._get(job.manifest_url))
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                "AND NOT attisdropped ORDER BY attnum",
                [job.table],
            ).fetchall()
        ]
        for entry in manifest["entries"]:
            try:
                data = self._get(entry["url"])
            except self.s3.exceptions.NoSuchKey:
                if entry.get("mandatory", False):
                    raise ValueError(f"COPY: mandatory manifest entry {entry['url']} not found") from None
                continue
            declared = entry.get("meta", {}).get("content_length")
            if declared is None:
                raise ValueError(
                    f"COPY: manifest entry {entry['url']} lacks meta.content_length (required for Parquet)"
                )
            if declared != len(data):
                raise ValueError(f"COPY: {entry['url']} is {len(data)} bytes, manifest says {declared}")
            parquet = pq.ParquetFile(io.BytesIO(data))
            names = parquet.schema_arrow.names
            if len(names) != len(columns):
                raise ValueError(f"COPY: {entry['url']} has {len(names)} columns, table {job.table} has {len(columns)}")
            if names != columns:  # Redshift maps by position; a name mismatch means a wrong file
                raise ValueError(f"COPY: {entry['url']} columns {names} != {columns}")
            with conn.cursor().copy(f"COPY {job.table} FROM STDIN") as copy:
                for batch in parquet.iter_batches():  # row group by row group: memory bounded by the file's groups
                    for row in _naive_utc(pa.Table.from_batches([batch])).to_pylist():
                        copy.write_row([row[c] for c in columns])


def _naive_utc(table: pa.Table) -> pa.Table:
    """Spark writes UTC-adjusted timestamps; Redshift TIMESTAMP has no zone, so drop it after converting."""
    for i, fld in enumerate(table.schema):
        if pa.types.is_timestamp(fld.type) and fld.type.tz is not None:
            col = table.column(i).cast(pa.timestamp(fld.type.unit, tz=str(UTC))).cast(pa.timestamp(fld.type.unit))
            table = table.set_column(i, pa.field(fld.name, col.type, fld.nullable), col)
    return table


@dataclass
class RedshiftDataApi:
    """Runs statements on Amazon Redshift (provisioned or Serverless) through the Redshift Data API.

    Up to 40 statements go in one ``batch_execute_statement`` (the Data API runs a batch as one transaction);
    longer lists use a Data API session with explicit BEGIN/COMMIT (ROLLBACK on failure).
    """

    database: str
    cluster_identifier: str | None = None
    workgroup_name: str | None = None
    secret_arn: str | None = None
    db_user: str | None = None
    client: Any = None
    poll_seconds: float = 1.0
    timeout_seconds: float = 3600.0
    dialect: str = "redshift"
    batch_limit: int = 40

    def __post_init__(self) -> None:
        if not (self.cluster_identifier or self.workgroup_name):
            raise ValueError("RedshiftDataApi needs cluster_identifier (provisioned) or workgroup_name (Serverless)")
        if self.client is None:
            self.client = boto3.client("redshift-data")

    def _target(self) -> dict[str, str]:
        target: dict[str, str] = {"Database": self.database}
        if self.cluster_identifier:
            target["ClusterIdentifier"] = self.cluster_identifier
        if self.workgroup_name:
            target["WorkgroupName"] = self.workgroup_name
        if self.secret_arn:
            target["SecretArn"] = self.secret_arn
        elif self.db_user:
            target["DbUser"] = self.db_user
        return target

    def _wait(self, statement_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            desc = self.client.describe_statement(Id=statement_id)
            status = desc["Status"]
            if status == "FINISHED":
                return desc
            if status in ("FAILED", "ABORTED"):
                raise WarehouseError(f"Redshift statement {statement_id} {status}: {desc.get('Error', '')}")
            if time.monotonic() > deadline:
                raise WarehouseError(f"Redshift statement {statement_id} still {status} after {self.timeout_seconds}s")
            time.sleep(self.poll_seconds)

    def execute_transaction(self, statements: list[Statement]) -> None:
        """Run the statements atomically on Redshift."""
        sqls = [s.sql("redshift") for s in statements]
        if len(sqls) <= self.batch_limit:
            resp = self.client.batch_execute_statement(Sqls=sqls, StatementName="curated-to-redshift", **self._target())
            self._wait(resp["Id"])
            return
        first = self.client.execute_statement(Sql="BEGIN", SessionKeepAliveSeconds=600, **self._target())
        self._wait(first["Id"])
        session = first["SessionId"]
        try:
            for sql in [*sqls, "COMMIT"]:
                self._wait(self.client.execute_statement(Sql=sql, SessionId=session)["Id"])
        except WarehouseError:
            self._wait(self.client.execute_statement(Sql="ROLLBACK", SessionId=session)["Id"])
            raise

    def query(self, sql: str) -> list[tuple]:
        """Rows of a query (values unwrapped from the Data API's typed fields)."""
        resp = self.client.execute_statement(Sql=sql, **self._target())
        self._wait(resp["Id"])
        rows: list[tuple] = []
        kwargs: dict[str, Any] = {"Id": resp["Id"]}
        while True:
            page = self.client.get_statement_result(**kwargs)
            for record in page["Records"]:
                rows.append(tuple(None if f.get("isNull") else next(iter(f.values())) for f in record))
            if not page.get("NextToken"):
                return rows
            kwargs["NextToken"] = page["NextToken"]
