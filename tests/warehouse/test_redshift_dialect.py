"""Redshift dialect conformance: every rule fails a small bad example and passes a good one, and the whole
warehouse script — generated exactly as setup and the loader generate it — breaks none of them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pytest

from warehouse.redshift_dialect import RULES, check_manifest, check_script, check_statement

_PROC = (
    "CREATE OR REPLACE PROCEDURE trading.sp_demo(p_day DATE)\nAS $$\n{declare}BEGIN\n  {body}\nEND;\n$$ "
    + "LANGUAGE plpgsql"
)
_MERGE_TAIL = "WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT (id, a) VALUES (s.id, s.a)"


def _proc(body: str, declare: str = "") -> str:
    return _PROC.format(body=body, declare=f"DECLARE\n  {declare}\n" if declare else "")


# (rule, statement that breaks it, statement that keeps it); every good statement is clean of all rules.
CASES = [
    (
        "merge-target-alias",
        f"MERGE INTO trading.t AS t USING stage_t AS s ON t.id = s.id {_MERGE_TAIL}",
        f"MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id {_MERGE_TAIL}",
    ),
    (
        "merge-source",
        f"MERGE INTO trading.t USING (SELECT id, a FROM stage_t) AS s ON trading.t.id = s.id {_MERGE_TAIL}",
        f"MERGE INTO trading.t USING stage_t s ON trading.t.id = s.id {_MERGE_TAIL}",
    ),
    (
        "merge-with",
        f"WITH s AS (SELECT id, a FROM stage_t) MERGE INTO trading.t USING s ON trading.t.id = s.id {_MERGE_TAIL}",
        f"MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id {_MERGE_TAIL}",
    ),
    (
        "merge-clauses",
        "MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a",
        "MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id REMOVE DUPLICATES",
    ),
    (
        "merge-clauses",
        "MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id WHEN MATCHED THEN DELETE REMOVE DUPLICATES",
        "MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id WHEN MATCHED THEN DELETE "
        "WHEN NOT MATCHED THEN INSERT (id, a) VALUES (s.id, s.a)",
    ),
    (
        "merge-when-condition",
        "MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id WHEN MATCHED AND s.a <> trading.t.a "
        "THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT (id, a) VALUES (s.id, s.a)",
        f"MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id {_MERGE_TAIL}",
    ),
    (
        "merge-set-column",
        "MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id WHEN MATCHED THEN UPDATE SET t.a = s.a "
        "WHEN NOT MATCHED THEN INSERT (id, a) VALUES (s.id, s.a)",
        f"MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id {_MERGE_TAIL}",
    ),
    (
        "merge-match-condition",
        f"MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id OR trading.t.a = s.a {_MERGE_TAIL}",
        f"MERGE INTO trading.t USING stage_t AS s ON trading.t.id = s.id AND trading.t.a = s.a {_MERGE_TAIL}",
    ),
    *[
        (
            "copy-columnar-parameters",
            f"COPY stage_t FROM 's3://b/m.manifest' IAM_ROLE 'arn:aws:iam::1:role/r' FORMAT AS PARQUET MANIFEST {o}",
            "COPY stage_t FROM 's3://b/m.manifest' IAM_ROLE 'arn:aws:iam::1:role/r' FORMAT AS PARQUET MANIFEST",
        )
        for o in (
            "DELIMITER ','",
            "IGNOREHEADER 1",
            "DATEFORMAT 'auto'",
            "TIMEFORMAT 'auto'",
            "BLANKSASNULL",
            "EMPTYASNULL",
            "REGION 'eu-west-1'",
            "MAXERROR 10",
            "TRUNCATECOLUMNS",
        )
    ],
    (
        "copy-columnar-parameters",
        "COPY stage_t (id, a) FROM 's3://b/m.manifest' IAM_ROLE 'arn:aws:iam::1:role/r' FORMAT AS PARQUET MANIFEST",
        "COPY stage_t FROM 's3://b/m.manifest' IAM_ROLE 'arn:aws:iam::1:role/r' FORMAT AS PARQUET MANIFEST "
        "ACCEPTINVCHARS",
    ),
    (
        "copy-authorization",
        "COPY stage_t FROM 's3://b/m.manifest' FORMAT AS PARQUET MANIFEST",
        "COPY stage_t FROM 's3://b/m.manifest' IAM_ROLE 'arn:aws:iam::1:role/r' FORMAT AS PARQUET MANIFEST",
    ),
    (
        "copy-manifest-source",
        "COPY stage_t FROM 'https://b.s3.amazonaws.com/m' IAM_ROLE 'arn:aws:iam::1:role/r' FORMAT AS PARQUET MANIFEST",
        "COPY stage_t FROM 's3://b/m.manifest' IAM_ROLE 'arn:aws:iam::1:role/r' FORMAT AS PARQUET MANIFEST",
    ),
    (
        "procedure-form",
        _proc("NULL;").replace("LANGUAGE plpgsql", "LANGUAGE sql"),
        _proc("NULL;"),
    ),
    (
        "procedure-form",
        _proc("NULL;").replace("\nAS $$", " NONATOMIC\nAS $$") + " SECURITY DEFINER",
        _proc("NULL;").replace("\nAS $$", " NONATOMIC\nAS $$") + " SECURITY INVOKER",
    ),
    ("procedure-name", _proc("NULL;").replace("sp_demo", "demo"), _proc("NULL;")),
    (
        "plpgsql-statement",
        _proc("FOREACH v_x IN ARRAY v_list LOOP\n    NULL;\n  END LOOP;", "v_x BIGINT;\n  v_list BIGINT;"),
        _proc("FOR v_x IN 1..3 LOOP\n    NULL;\n  END LOOP;", "v_x BIGINT;"),
    ),
    (
        "plpgsql-statement",
        _proc("GET STACKED DIAGNOSTICS v_n = MESSAGE_TEXT;", "v_n BIGINT;"),
        _proc("GET DIAGNOSTICS v_n := ROW_COUNT;", "v_n BIGINT;"),
    ),
    (
        "plpgsql-raise",
        _proc("RAISE EXCEPTION 'day %', p_day + 1;"),
        _proc("RAISE EXCEPTION 'day %', p_day;"),
    ),
    ("plpgsql-raise", _proc("RAISE DEBUG 'starting';"), _proc("RAISE INFO 'starting';")),
    (
        "plpgsql-raise",
        _proc("RAISE EXCEPTION 'bad' USING ERRCODE = 'P0001';"),
        _proc("RAISE EXCEPTION 'bad';"),
    ),
    (
        "plpgsql-exception",
        _proc("DELETE FROM trading.t WHERE d = p_day;\nEXCEPTION WHEN division_by_zero THEN\n  RAISE INFO 'x';"),
        _proc("DELETE FROM trading.t WHERE d = p_day;\nEXCEPTION WHEN OTHERS THEN\n  RAISE INFO 'x';"),
    ),
    (
        "date-arithmetic",
        _proc("v_day := p_day + 1;", "v_day DATE;"),
        _proc("v_day := DATEADD(day, 1, p_day);", "v_day DATE;"),
    ),
    (
        "date-arithmetic",
        "SELECT CAST('2024-01-02' AS DATE) - 1",
        "SELECT DATEADD(day, -1, CAST('2024-01-02' AS DATE))",
    ),
    ("datetime-function", "SELECT CLOCK_TIMESTAMP()", "SELECT GETDATE()"),
    ("datetime-function", "SELECT MAKE_DATE(2024, 1, 2)", "SELECT TO_DATE('2024-01-02', 'YYYY-MM-DD')"),
    ("leader-node-function", "SELECT NOW() FROM trading.t", "SELECT GETDATE() FROM trading.t"),
    ("leader-node-function", "SELECT AGE(d) FROM trading.t", "SELECT DATEDIFF(day, d, GETDATE()) FROM trading.t"),
    ("unsupported-function", "SELECT STRING_AGG(a, ',') FROM trading.t", "SELECT LISTAGG(a, ',') FROM trading.t"),
    ("unsupported-function", "SELECT * FROM GENERATE_SERIES(1, 3)", "SELECT 1"),
    ("unsupported-function", "SELECT a IS DISTINCT FROM b FROM trading.t", "SELECT a <> b FROM trading.t"),
    ("reserved-word", "CREATE TABLE trading.t (timestamp TIMESTAMP)", "CREATE TABLE trading.t (event_ts TIMESTAMP)"),
    ("reserved-word", "SELECT a AS tag FROM trading.t", 'SELECT a AS "tag" FROM trading.t'),
    ("identifier-case", 'CREATE TABLE trading.t ("EventTs" TIMESTAMP)', "CREATE TABLE trading.t (EventTs TIMESTAMP)"),
    ("identifier-form", f'CREATE TABLE trading.t ("{"a" * 128}" INT)', f"CREATE TABLE trading.t ({'a' * 127} INT)"),
    ("unsupported-type", "CREATE TABLE trading.t (a JSONB)", "CREATE TABLE trading.t (a SUPER)"),
    ("unsupported-type", "CREATE TABLE trading.t (a INT[])", "CREATE TABLE trading.t (a INT)"),
    ("unsupported-type", "CREATE TABLE trading.t (a SERIAL)", "CREATE TABLE trading.t (a INT IDENTITY(1, 1))"),
    ("unsupported-type", "CREATE TABLE trading.t (a BYTEA)", "CREATE TABLE trading.t (a VARBYTE(64))"),
    ("unsupported-type", "CREATE TABLE trading.t (a UUID)", "CREATE TABLE trading.t (a CHAR(36))"),
    ("unsupported-type", _proc("NULL;", "v_a JSONB;"), _proc("NULL;", "v_a SUPER;")),
    ("unsized-character-type", "CREATE TABLE trading.t (a TEXT)", "CREATE TABLE trading.t (a VARCHAR(MAX))"),
    ("unsized-character-type", "CREATE TABLE trading.t (a VARCHAR)", "CREATE TABLE trading.t (a VARCHAR(256))"),
    ("unsized-character-type", _proc("NULL;", "v_a TEXT;"), _proc("NULL;", "v_a VARCHAR(256);")),
    ("type-size", "CREATE TABLE trading.t (a VARCHAR(65536))", "CREATE TABLE trading.t (a VARCHAR(65535))"),
    ("decimal-precision", "CREATE TABLE trading.t (a DECIMAL(39, 2))", "CREATE TABLE trading.t (a DECIMAL(38, 2))"),
    ("type-size", "CREATE TABLE trading.t (a CHAR(4097))", "CREATE TABLE trading.t (a CHAR(4096))"),
    ("unsupported-feature", "CREATE INDEX t_a ON trading.t (a)", "CREATE TABLE trading.t (a INT) SORTKEY(a)"),
    ("unsupported-feature", "CREATE INDEX t_a ON trading.t (a) WHERE a > 0", "SELECT 1"),
    ("unsupported-feature", "CREATE SEQUENCE trading.t_seq", "CREATE TABLE trading.t (a BIGINT IDENTITY(1, 1))"),
    ("unsupported-feature", "CREATE TABLE trading.t (a INT) PARTITION BY RANGE (a)", "CREATE TABLE trading.t (a INT)"),
    ("unsupported-feature", "CREATE TABLE trading.t (a INT CHECK (a > 0))", "CREATE TABLE trading.t (a INT NOT NULL)"),
    (
        "unsupported-feature",
        "CREATE TABLE trading.t (a INT, b INT GENERATED ALWAYS AS (a + 1) STORED)",
        "CREATE TABLE trading.t (a INT, b INT)",
    ),
    ("unsupported-feature", "SELECT ARRAY[1, 2]", "SELECT 1"),
    ("unsupported-feature", "SELECT v.a FROM (VALUES (1), (2)) AS v(a)", "INSERT INTO trading.t (a) VALUES (1), (2)"),
    (
        "dml-form",
        "INSERT INTO trading.t (a) VALUES (1) ON CONFLICT (a) DO NOTHING",
        "INSERT INTO trading.t (a) VALUES (1)",
    ),
    ("dml-form", "DELETE FROM trading.t WHERE a = 1 RETURNING a", "DELETE FROM trading.t WHERE a = 1"),
    ("implicit-commit", "TRUNCATE trading.t", "DELETE FROM trading.t"),
    ("implicit-commit", _proc("TRUNCATE trading.t;"), _proc("DELETE FROM trading.t;")),
    (
        "grant-procedure",
        "GRANT EXECUTE ON PROCEDURE trading.sp_demo TO loader",
        "GRANT EXECUTE ON PROCEDURE trading.sp_demo(DATE) TO loader",
    ),
    ("partial-statement", "ALTER SYSTEM SET work_mem = 1", "ALTER TABLE trading.t ADD COLUMN b INT"),
    ("partial-statement", "SELECT a FROM trading.t WHERE", "SELECT a FROM trading.t WHERE a > 0"),
    ("partial-statement", "CALL trading.sp_demo", "CALL trading.sp_demo(CAST('2024-01-02' AS DATE))"),
    ("partial-statement", _proc("NULL;", "v_a BIGINT\n  v_b BIGINT;"), _proc("NULL;", "v_a BIGINT;\n  v_b BIGINT;")),
]


@pytest.mark.parametrize(("rule", "bad", "good"), CASES, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(CASES)])
def test_each_rule_fails_its_bad_example_and_passes_its_good_one(rule, bad, good):
    assert rule in {v.rule for v in check_statement(bad)}, f"{rule} not found in: {bad}"
    assert check_statement(good) == [], good


def test_every_rule_names_its_aws_documentation_page_and_has_examples():
    assert {r for r, _, _ in CASES} | {"manifest-content-length"} == set(RULES)
    for rule in RULES.values():
        assert rule.doc.startswith("https://docs.aws.amazon.com/redshift/latest/dg/") and rule.doc.endswith(".html")


def test_date_columns_of_the_script_count_for_date_arithmetic():
    script = ["CREATE TABLE trading.t (d DATE, n INT)", "SELECT d + 1, n + 1 FROM trading.t"]
    assert [v.rule for v in check_script(script)] == ["date-arithmetic"]


def test_manifest_entries_need_an_s3_url_and_content_length_for_parquet():
    entry = {"url": "s3://b/t/part-0.parquet", "mandatory": True, "meta": {"content_length": 120}}
    assert check_manifest({"entries": [entry]}) == []
    no_length = {"url": "s3://b/t/part-0.parquet", "mandatory": True}
    assert [v.rule for v in check_manifest({"entries": [no_length]})] == ["manifest-content-length"]
    assert check_manifest({"entries": [no_length]}, data_format="CSV") == []
    assert check_manifest({"entries": [{**entry, "url": "/tmp/part-0.parquet"}]})
    assert check_manifest({"entries": []})


# ---- The whole generated warehouse script ---------------------------------------------------------------------


@dataclass
class _RecordingWarehouse:
    """An executor that keeps the Redshift text of every statement the loader sends, like the Data API would."""

    dialect: str = "redshift"
    statements: list[str] = field(default_factory=list)

    def execute_transaction(self, statements) -> None:
        self.statements += [s.sql("redshift") for s in statements]

    def query(self, sql: str) -> list[tuple]:
        return []


def _value(glue_type: str, row: int):
    if glue_type.startswith("decimal("):
        return Decimal(row)
    return {
        "string": f"v{row}",
        "bigint": row,
        "int": row,
        "smallint": row,
        "double": float(row),
        "boolean": True,
        "date": date(2024, 1, row),
        "timestamp": datetime(2024, 1, row, 12),
    }[glue_type]


def _seed(stores) -> None:
    """Two rows per warehouse dataset whose keys resolve (ids 1 and 2), transactions on two days."""
    from energylake.contracts import get_contract
    from migration.dms.apply import write_parquet
    from warehouse.loader import WAREHOUSE_DATASETS

    for name in WAREHOUSE_DATASETS:
        contract = get_contract(name)
        rows = [{c.name: _value(c.type, n) for c in contract.columns} for n in (1, 2)]
        write_parquet(contract, rows, stores[contract.zone])


def test_the_generated_warehouse_script_is_valid_redshift(s3):
    from migration.storage import S3Store
    from warehouse.loader import WAREHOUSE_DATASETS, load_datasets, setup_statements

    for bucket in ("transform", "curated", "artifacts"):
        s3.create_bucket(Bucket=bucket)
    stores = {"transform": S3Store("transform", client=s3), "curated": S3Store("curated", client=s3)}
    _seed(stores)
    warehouse = _RecordingWarehouse()
    result = load_datasets(
        warehouse,
        stores=stores,
        manifest_store=S3Store("artifacts", "state/redshift/manifests", client=s3),
        iam_role="arn:aws:iam::123456789012:role/energylake-redshift-copy",
        datasets=WAREHOUSE_DATASETS,
    )
    script = [s.sql("redshift") for s in setup_statements("redshift")] + warehouse.statements
    kinds = {sql.split()[0] for sql in script}
    assert {"CREATE", "COPY", "INSERT", "DELETE", "MERGE", "CALL"} <= kinds
    assert sum(sql.startswith("CREATE OR REPLACE PROCEDURE") for sql in script) == 3
    violations = check_script(script)
    assert violations == [], "\n".join(str(v) for v in violations)
    assert len(result.manifests) == len(WAREHOUSE_DATASETS) + 1  # transactions span two partitions
    for url in result.manifests:
        bucket, key = url.removeprefix("s3://").split("/", 1)
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        assert check_manifest(manifest) == [], url


@pytest.mark.parametrize(
    ("procedure", "original", "mutated", "rule"),
    [
        (
            "010",
            "IF v_count <> p_expected THEN",
            "IF v_count <> p_expected + CLOCK_TIMESTAMP() THEN",
            "datetime-function",
        ),
        ("010", "p_table, v_count, p_expected;", "p_table, v_count + 1, p_expected;", "plpgsql-raise"),
        (
            "020",
            "DELETE FROM trading.daily_client_settlement WHERE settlement_date = p_date;",
            "TRUNCATE trading.daily_client_settlement;",
            "implicit-commit",
        ),
        ("020", "GROUP BY t.customer_id", 'GROUP BY t."Customer_id"', "identifier-case"),
        ("030", "d >= p_from)", "d >= p_from + 1)", "date-arithmetic"),
        ("030", "CALL trading.sp_daily_settlement(v_day.d);", "RETURN QUERY SELECT 1;", "plpgsql-statement"),
    ],
)
def test_the_checker_reads_inside_the_real_procedure_bodies(procedure, original, mutated, rule):
    from warehouse.loader import procedure_files

    path = next(p for p in procedure_files() if p.name.startswith(procedure))
    text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("--"))
    assert original in text and check_statement(text) == []
    found = {v.rule for v in check_statement(text.replace(original, mutated))}
    assert rule in found
