"""Redshift dialect conformance: the documented Redshift restrictions that PostgreSQL and sqlglot do not enforce.

The warehouse SQL runs locally on PostgreSQL and parses with sqlglot's lenient ``redshift`` dialect, and both
accept statements that Amazon Redshift rejects. Every rule below encodes one restriction from the Amazon
Redshift Database Developer Guide, with the page it comes from in ``Rule.doc``. ``check_statement`` checks one
statement (DDL, COPY, MERGE, DML, ``CREATE PROCEDURE`` with its PL/pgSQL body, ``CALL``, ``GRANT``);
``check_script`` checks a list of statements; ``check_manifest`` checks a COPY manifest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

_DOCS = "https://docs.aws.amazon.com/redshift/latest/dg/"


@dataclass(frozen=True)
class Rule:
    """One documented Redshift restriction and the AWS documentation page that states it."""

    id: str
    summary: str
    doc: str


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "merge-target-alias",
            "MERGE INTO target_table takes no alias: only source_table has [ [ AS ] alias ]",
            _DOCS + "r_MERGE.html",
        ),
        Rule(
            "merge-source",
            "MERGE source_table is a temporary, permanent or Spectrum table, not a subquery or VALUES",
            _DOCS + "r_MERGE.html",
        ),
        Rule("merge-with", "MERGE cannot have a WITH clause", _DOCS + "r_MERGE.html"),
        Rule(
            "merge-clauses",
            "MERGE has exactly WHEN MATCHED THEN {UPDATE | DELETE} and WHEN NOT MATCHED THEN INSERT … VALUES, "
            "or REMOVE DUPLICATES alone",
            _DOCS + "r_MERGE.html",
        ),
        Rule(
            "merge-when-condition",
            "MERGE WHEN clauses take no extra AND condition and no BY SOURCE / BY TARGET",
            _DOCS + "r_MERGE.html",
        ),
        Rule(
            "merge-set-column",
            "MERGE UPDATE SET names target columns without the table name",
            _DOCS + "r_MERGE.html",
        ),
        Rule(
            "merge-match-condition",
            "MERGE match_condition is equal predicates between source and target columns",
            _DOCS + "r_MERGE.html",
        ),
        Rule(
            "copy-columnar-parameters",
            "COPY from PARQUET/ORC accepts only FORMAT AS, FROM, IAM_ROLE, CREDENTIALS, MANIFEST, ACCEPTINVCHARS, "
            "FILLRECORD, STATUPDATE and EXPLICIT_IDS (no DELIMITER, IGNOREHEADER, DATEFORMAT, REGION, MAXERROR, …)",
            _DOCS + "copy-usage_notes-copy-from-columnar.html",
        ),
        Rule(
            "copy-authorization",
            "COPY from Amazon S3 needs authorization: IAM_ROLE (or CREDENTIALS)",
            _DOCS + "copy-parameters-authorization.html",
        ),
        Rule(
            "copy-manifest-source",
            "COPY … MANIFEST reads one manifest file named by a single s3:// URL in FROM",
            _DOCS + "copy-parameters-data-source-s3.html",
        ),
        Rule(
            "manifest-content-length",
            "a manifest for ORC/Parquet COPY gives every entry an s3:// url and meta.content_length (bytes)",
            _DOCS + "copy-parameters-data-source-s3.html",
        ),
        Rule(
            "procedure-form",
            "CREATE [OR REPLACE] PROCEDURE name ([argname] [IN|OUT|INOUT] argtype, …) [NONATOMIC] AS $$ … $$ "
            "LANGUAGE plpgsql [SECURITY INVOKER|DEFINER] [SET …]; NONATOMIC excludes SECURITY DEFINER and SET; "
            "at most 32 input arguments",
            _DOCS + "r_CREATE_PROCEDURE.html",
        ),
        Rule(
            "procedure-name",
            "stored procedure names carry the sp_ prefix Redshift reserves for them",
            _DOCS + "r_CREATE_PROCEDURE.html",
        ),
        Rule(
            "plpgsql-statement",
            "a procedure body uses only the PL/pgSQL statements Redshift supports (no FOREACH, RETURN NEXT/QUERY, "
            "ASSERT, GET STACKED DIAGNOSTICS; GET DIAGNOSTICS only ROW_COUNT)",
            _DOCS + "c_PLpgSQL-statements.html",
        ),
        Rule(
            "plpgsql-raise",
            "RAISE level 'format' [, variable …]: level NOTICE/INFO/LOG/WARNING/EXCEPTION, a plain string literal "
            "format, simple variables as arguments, no USING",
            _DOCS + "c_PLpgSQL-statements.html",
        ),
        Rule(
            "plpgsql-exception",
            "the only condition an EXCEPTION block supports is WHEN OTHERS",
            _DOCS + "stored-procedure-trapping-errors.html",
        ),
        Rule(
            "date-arithmetic",
            "Redshift documents DATEADD/DATEDIFF and interval literals for date arithmetic; the only + it documents "
            "on a DATE is DATE + TIME concatenation, so date ± integer is PostgreSQL-only",
            _DOCS + "r_DATE-CONCATENATE_function.html",
        ),
        Rule(
            "datetime-function",
            "PostgreSQL date/time functions Redshift does not support (CLOCK_TIMESTAMP, JUSTIFY_*, PG_SLEEP, "
            "TRANSACTION_TIMESTAMP) or does not have (MAKE_*, DATE_BIN)",
            _DOCS + "c_unsupported-postgresql-functions.html",
        ),
        Rule(
            "leader-node-function",
            "leader-node-only functions (CURRENT_SCHEMA(S), HAS_*_PRIVILEGE) fail in queries that read user tables; "
            "the leader-node date functions AGE, NOW and ISFINITE are deprecated and no longer supported",
            _DOCS + "c_SQL_functions_leader_node_only.html",
        ),
        Rule(
            "unsupported-function",
            "PostgreSQL functions Redshift does not support (STRING_AGG, ARRAY_AGG, GENERATE_SERIES, FORMAT, "
            "REGEXP_MATCHES, IS DISTINCT FROM, …)",
            _DOCS + "c_unsupported-postgresql-functions.html",
        ),
        Rule(
            "reserved-word",
            "a Redshift reserved word is an identifier only when double-quoted",
            _DOCS + "r_pg_keywords.html",
        ),
        Rule(
            "identifier-case",
            "Redshift folds delimited identifiers to lowercase too (PostgreSQL keeps their case): identifiers "
            "are lowercase",
            _DOCS + "r_names.html",
        ),
        Rule(
            "identifier-form",
            "identifiers are 1 to 127 bytes; standard ones start with a letter or underscore",
            _DOCS + "r_names.html",
        ),
        Rule(
            "unsupported-type",
            "PostgreSQL data types Redshift does not support (arrays, JSON/JSONB, BYTEA, SERIAL, MONEY, UUID, XML, "
            "network, enum, range, geometric)",
            _DOCS + "c_unsupported-postgresql-datatypes.html",
        ),
        Rule(
            "unsized-character-type",
            "TEXT and VARCHAR without a length are VARCHAR(256) in Redshift (unbounded in PostgreSQL): give a length "
            "or MAX",
            _DOCS + "r_Character_types.html",
        ),
        Rule(
            "type-size",
            "VARCHAR holds at most 65535 bytes and CHAR 4096",
            _DOCS + "r_Character_types.html",
        ),
        Rule(
            "decimal-precision",
            "DECIMAL/NUMERIC precision is at most 38",
            _DOCS + "r_Numeric_types201.html",
        ),
        Rule(
            "unsupported-feature",
            "PostgreSQL features Redshift does not support: indexes, sequences, triggers, table partitioning, "
            "inheritance, CHECK constraints, stored generated columns, arrays, VALUES as a constant table",
            _DOCS + "c_unsupported-postgresql-features.html",
        ),
        Rule(
            "dml-form",
            "Redshift INSERT/UPDATE/DELETE have no ON CONFLICT and no RETURNING clause",
            _DOCS + "r_INSERT_30.html",
        ),
        Rule(
            "implicit-commit",
            "TRUNCATE commits the transaction it runs in, so it cannot be part of the all-or-nothing load",
            _DOCS + "r_TRUNCATE.html",
        ),
        Rule(
            "grant-procedure",
            "GRANT … ON PROCEDURE names the procedure with its argument types: name ( [ [argname] argtype, … ] )",
            _DOCS + "r_GRANT.html",
        ),
        Rule(
            "partial-statement",
            "every statement is one complete Redshift SQL command the checker can parse (no fragments, no "
            "statements sqlglot only keeps as opaque text)",
            _DOCS + "c_SQL_commands.html",
        ),
    )
}


@dataclass(frozen=True)
class Violation:
    """A statement breaking a rule: the rule id, what is wrong, and the start of the statement."""

    rule: str
    message: str
    statement: str = ""

    @property
    def doc(self) -> str:
        """The AWS documentation page of the rule."""
        return RULES[self.rule].doc

    def __str__(self) -> str:
        head = " ".join(self.statement.split())[:90]
        return f"[{self.rule}] {self.message} — in: {head} — see {self.doc}"


# ---- Word lists, each copied from the page its rule names ---------------------------------------------------

#: https://docs.aws.amazon.com/redshift/latest/dg/r_pg_keywords.html
_RESERVED_WORDS_TEXT = """
    AES128 AES256 ALL ALLOWOVERWRITE ANALYSE ANALYZE AND ANY ARRAY AS ASC AUTHORIZATION AZ64 BACKUP BETWEEN
    BINARY BLANKSASNULL BOTH BYTEDICT BZIP2 CASE CAST CHECK COLLATE COLUMN CONSTRAINT CREATE CREDENTIALS CROSS
    CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURRENT_USER_ID DEFAULT DEFERRABLE DEFLATE DEFRAG
    DELTA DELTA32K DESC DISABLE DISTINCT DO ELSE EMPTYASNULL ENABLE ENCODE ENCRYPT ENCRYPTION END EXCEPT EXPLICIT
    FALSE FOR FOREIGN FREEZE FROM FULL GLOBALDICT256 GLOBALDICT64K GRANT GROUP GZIP HAVING IDENTITY IGNORE ILIKE
    IN INITIALLY INNER INTERSECT INTERVAL INTO IS ISNULL JOIN LEADING LEFT LIKE LIMIT LOCALTIME LOCALTIMESTAMP LUN
    LUNS LZO LZOP MINUS MOSTLY16 MOSTLY32 MOSTLY8 NATURAL NEW NOT NOTNULL NULL NULLS OFF OFFLINE OFFSET OID OLD ON
    ONLY OPEN OR ORDER OUTER OVERLAPS PARALLEL PARTITION PERCENT PERMISSIONS PIVOT PLACING PRIMARY RAW READRATIO
    RECOVER REFERENCES REJECTLOG RESORT RESPECT RESTORE RIGHT SELECT SESSION_USER SIMILAR SNAPSHOT SOME SYSDATE
    SYSTEM TABLE TAG TDES TEXT255 TEXT32K THEN TIMESTAMP TO TOP TRAILING TRUE TRUNCATECOLUMNS UNION UNIQUE UNNEST
    UNPIVOT USER USING VERBOSE WALLET WHEN WHERE WITH WITHOUT"""
RESERVED_WORDS = frozenset(_RESERVED_WORDS_TEXT.split())

#: https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html ("Only the following
#: COPY parameters are supported"), plus FORMAT AS itself and the authorization parameters.
COLUMNAR_COPY_PARAMETERS = frozenset(
    {"FORMAT", "MANIFEST", "ACCEPTINVCHARS", "FILLRECORD", "STATUPDATE", "EXPLICIT_IDS", "IAM_ROLE", "CREDENTIALS"}
)
COLUMNAR_FORMATS = frozenset({"PARQUET", "ORC"})

#: https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-functions.html (Date/Time functions)
#: and the PostgreSQL constructors absent from Redshift's date and time function reference (r_Date_and_time_functions).
DATETIME_FUNCTIONS = frozenset(
    {
        "CLOCK_TIMESTAMP",
        "JUSTIFY_DAYS",
        "JUSTIFY_HOURS",
        "JUSTIFY_INTERVAL",
        "PG_SLEEP",
        "TRANSACTION_TIMESTAMP",
        "MAKE_DATE",
        "MAKE_TIME",
        "MAKE_TIMESTAMP",
        "MAKE_TIMESTAMPTZ",
        "MAKE_INTERVAL",
        "DATE_BIN",
    }
)
#: https://docs.aws.amazon.com/redshift/latest/dg/c_SQL_functions_leader_node_only.html
LEADER_NODE_FUNCTIONS = frozenset(
    {
        "AGE",
        "NOW",
        "ISFINITE",
        "CURRENT_SCHEMA",
        "CURRENT_SCHEMAS",
        "HAS_DATABASE_PRIVILEGE",
        "HAS_SCHEMA_PRIVILEGE",
        "HAS_TABLE_PRIVILEGE",
    }
)
#: https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-functions.html (the other sections)
UNSUPPORTED_FUNCTIONS = frozenset(
    {
        "STRING_AGG",
        "ARRAY_AGG",
        "EVERY",
        "XMLAGG",
        "CORR",
        "COVAR_POP",
        "COVAR_SAMP",
        "REGR_AVGX",
        "REGR_AVGY",
        "REGR_COUNT",
        "REGR_INTERCEPT",
        "REGR_R2",
        "REGR_SLOPE",
        "REGR_SXX",
        "REGR_SXY",
        "REGR_SYY",
        "DIV",
        "SETSEED",
        "WIDTH_BUCKET",
        "GENERATE_SERIES",
        "GENERATE_SUBSCRIPTS",
        "BIT_LENGTH",
        "OVERLAY",
        "CONVERT_FROM",
        "CONVERT_TO",
        "ENCODE",
        "FORMAT",
        "QUOTE_NULLABLE",
        "REGEXP_MATCHES",
        "REGEXP_SPLIT_TO_ARRAY",
        "REGEXP_SPLIT_TO_TABLE",
    }
)

_T = exp.DataType.Type
#: https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-datatypes.html
UNSUPPORTED_TYPES = frozenset(
    {
        _T.ARRAY,
        _T.LIST,
        _T.JSON,
        _T.JSONB,
        _T.SERIAL,
        _T.BIGSERIAL,
        _T.SMALLSERIAL,
        _T.MONEY,
        _T.SMALLMONEY,
        _T.UUID,
        _T.XML,
        _T.INET,
        _T.IPADDRESS,
        _T.IPPREFIX,
        _T.BIT,
        _T.ENUM,
        _T.HSTORE,
        _T.POINT,
        _T.INT4RANGE,
        _T.INT8RANGE,
        _T.NUMRANGE,
        _T.DATERANGE,
        _T.TSRANGE,
        _T.TSTZRANGE,
        _T.INT4MULTIRANGE,
        _T.INT8MULTIRANGE,
        _T.NUMMULTIRANGE,
        _T.DATEMULTIRANGE,
        _T.TSMULTIRANGE,
        _T.TSTZMULTIRANGE,
        _T.USERDEFINED,
    }
)
#: Type names sqlglot maps onto a supported type (BYTEA -> VARBINARY, a Redshift VARBYTE alias), so seen as words.
UNSUPPORTED_TYPE_WORDS = frozenset({"BYTEA", "TSVECTOR", "TSQUERY", "TXID_SNAPSHOT", "CIDR", "MACADDR", "JSONB"})
_UNSIZED_TEXT = frozenset({_T.TEXT, _T.VARCHAR, _T.NVARCHAR})
_MAX_SIZE = {_T.VARCHAR: 65535, _T.NVARCHAR: 65535, _T.CHAR: 4096, _T.NCHAR: 4096, _T.BPCHAR: 4096}

#: https://docs.aws.amazon.com/redshift/latest/dg/c_PLpgSQL-statements.html (RAISE levels)
RAISE_LEVELS = frozenset({"NOTICE", "INFO", "LOG", "WARNING", "EXCEPTION"})

_REDSHIFT = Dialect.get_or_raise("redshift")
_STANDARD_IDENTIFIER = re.compile(r"^[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*$")
_PROCEDURE_HEAD = re.compile(r"^CREATE\s+(?:OR\s+REPLACE\s+)?PROCEDURE\s+(?P<name>[\w$.\"]+)\s*\(", re.IGNORECASE)
_PROCEDURE_TAIL = re.compile(
    r"^\s*(?P<pre>.*?)\bAS\s+(?P<tag>\$\w*\$)(?P<body>.*?)(?P=tag)\s*(?P<post>.*)$", re.IGNORECASE | re.DOTALL
)
_PROCEDURE_OPTION = re.compile(
    r"^(?:LANGUAGE\s+(?P<lang>\w+)|(?P<nonatomic>NONATOMIC)|SECURITY\s+(?P<security>INVOKER|DEFINER)"
    r"|(?P<set>SET\s+\w+\s*(?:TO|=)\s*(?:'[^']*'|[\w.]+)))\s*",
    re.IGNORECASE,
)
_REMOVE_DUPLICATES = re.compile(r"\bREMOVE\s+DUPLICATES\s*$", re.IGNORECASE)


# ---- Token helpers --------------------------------------------------------------------------------------------


def _tokens(sql: str) -> list[Token]:
    try:
        return _REDSHIFT.tokenize(sql)
    except TokenError:
        return []


def _token_rules(tokens: Sequence[Token], statement: str) -> list[Violation]:
    """Rules visible in the token stream: function calls by name, TRUNCATE, type names sqlglot would rename."""
    found: list[Violation] = []
    for i, tok in enumerate(tokens):
        if tok.token_type in (TokenType.STRING, TokenType.HEREDOC_STRING, TokenType.IDENTIFIER):
            continue
        word = tok.text.upper()
        called = i + 1 < len(tokens) and tokens[i + 1].token_type == TokenType.L_PAREN
        dotted = i > 0 and tokens[i - 1].token_type == TokenType.DOT
        if called and not dotted:
            for rule, names in (
                ("datetime-function", DATETIME_FUNCTIONS),
                ("leader-node-function", LEADER_NODE_FUNCTIONS),
                ("unsupported-function", UNSUPPORTED_FUNCTIONS),
            ):
                if word in names:
                    found.append(Violation(rule, f"{word}() is not available on Redshift compute nodes", statement))
        if word == "TRUNCATE" and not dotted:
            found.append(Violation("implicit-commit", "TRUNCATE commits the surrounding transaction", statement))
        if word in UNSUPPORTED_TYPE_WORDS and tok.token_type != TokenType.STRING:
            found.append(Violation("unsupported-type", f"data type {word} does not exist in Redshift", statement))
    return found


# ---- AST rules -------------------------------------------------------------------------------------------------


def _is_integer(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and node.this.lstrip("-").isdigit()


def _is_date(node: exp.Expression, date_names: frozenset[str]) -> bool:
    if isinstance(node, exp.Cast):
        return node.to.this == _T.DATE
    if isinstance(node, exp.CurrentDate):
        return True
    if isinstance(node, exp.Column):
        return node.name.lower() in date_names
    return False


def _identifier_rules(name: str, quoted: bool, statement: str) -> list[Violation]:
    found = []
    if not quoted and name.upper() in RESERVED_WORDS:
        found.append(Violation("reserved-word", f"unquoted identifier {name!r} is a Redshift reserved word", statement))
    if quoted and name != name.lower():
        found.append(Violation("identifier-case", f"identifier {name!r} has upper case", statement))
    if not 1 <= len(name.encode()) <= 127 or (not quoted and not _STANDARD_IDENTIFIER.match(name)):
        found.append(Violation("identifier-form", f"identifier {name!r} is not a valid Redshift name", statement))
    return found


def _type_rules(dtype: exp.DataType, statement: str) -> list[Violation]:
    found = []
    if dtype.this in UNSUPPORTED_TYPES or (dtype.args.get("nested") and dtype.this == _T.ARRAY):
        found.append(Violation("unsupported-type", f"data type {dtype.sql()} is not supported", statement))
    params = [p.this for p in dtype.expressions if isinstance(p, exp.DataTypeParam)]
    if dtype.this in _UNSIZED_TEXT and not params:
        found.append(Violation("unsized-character-type", f"{dtype.this.value} without a length", statement))
    sizes = [int(p.this) for p in params if isinstance(p, exp.Literal) and not p.is_string]
    if sizes and dtype.this in _MAX_SIZE and sizes[0] > _MAX_SIZE[dtype.this]:
        found.append(Violation("type-size", f"{dtype.sql()} exceeds {_MAX_SIZE[dtype.this]}", statement))
    if sizes and dtype.this == _T.DECIMAL and sizes[0] > 38:
        found.append(Violation("decimal-precision", f"{dtype.sql()} exceeds precision 38", statement))
    return found


def _merge_rules(merge: exp.Merge, statement: str, *, remove_duplicates: bool) -> list[Violation]:
    found = []
    target = merge.this
    if isinstance(target, exp.Table) and target.alias:
        found.append(Violation("merge-target-alias", f"target {target.sql()} has an alias", statement))
    if not isinstance(merge.args.get("using"), exp.Table):
        found.append(Violation("merge-source", "source is not a table", statement))
    if merge.args.get("with") or merge.args.get("with_"):
        found.append(Violation("merge-with", "MERGE has a WITH clause", statement))
    on = merge.args.get("on")
    predicates = list(on.flatten()) if isinstance(on, exp.And) else [on]
    if not all(isinstance(p, exp.EQ) and isinstance(p.this, exp.Column) for p in predicates):
        found.append(Violation("merge-match-condition", "match condition is not column = column predicates", statement))
    if remove_duplicates:
        return found
    whens = list(merge.args["whens"].expressions) if merge.args.get("whens") else []
    for when in whens:
        if when.args.get("condition") is not None or when.args.get("source"):
            found.append(Violation("merge-when-condition", f"clause {when.sql()[:60]!r} has a condition", statement))
        then = when.args.get("then")
        if isinstance(then, exp.Update):
            for assignment in then.expressions:
                column = assignment.this
                if isinstance(column, exp.Column) and column.table:
                    found.append(Violation("merge-set-column", f"SET {column.sql()} names a table", statement))
    shape = [
        (bool(w.args.get("matched")), type(w.args.get("then")).__name__, str(w.args.get("then")).upper()) for w in whens
    ]
    matched_ok = len(shape) == 2 and shape[0][0] and (shape[0][1] == "Update" or shape[0][2] == "DELETE")
    insert_ok = len(shape) == 2 and not shape[1][0] and shape[1][1] == "Insert"
    if not (matched_ok and insert_ok):
        found.append(
            Violation("merge-clauses", "needs WHEN MATCHED (UPDATE|DELETE) then WHEN NOT MATCHED INSERT", statement)
        )
    return found


def _copy_rules(tokens: Sequence[Token], statement: str) -> list[Violation]:
    """COPY options read from the tokens (sqlglot pairs unknown COPY options with their neighbours)."""
    found = []
    words = [t.text.upper() for t in tokens]
    source = words.index("FROM") + 1 if "FROM" in words else len(words)
    files = [t.text for t in tokens[source:] if t.token_type == TokenType.STRING][:1]
    options = [
        (i, t.text.upper())
        for i, t in enumerate(tokens)
        if i > source and t.token_type not in (TokenType.STRING, TokenType.NUMBER, TokenType.COMMA)
    ]
    named = [word for _, word in options]
    fmt = next((named[k + 1] for k, word in enumerate(named[:-1]) if word == "FORMAT"), "")
    fmt = named[named.index("FORMAT") + 2] if fmt == "AS" and len(named) > named.index("FORMAT") + 2 else fmt
    if fmt in COLUMNAR_FORMATS:
        allowed = COLUMNAR_COPY_PARAMETERS | COLUMNAR_FORMATS | {"AS", "DEFAULT"}
        for word in named:
            if word not in allowed:
                found.append(Violation("copy-columnar-parameters", f"{word} is not allowed with {fmt}", statement))
        if source > 1 and tokens[source - 2].token_type == TokenType.R_PAREN:
            found.append(Violation("copy-columnar-parameters", "a column list is not allowed", statement))
    if not {"IAM_ROLE", "CREDENTIALS"} & set(named):
        found.append(Violation("copy-authorization", "COPY has neither IAM_ROLE nor CREDENTIALS", statement))
    if "MANIFEST" in named and not (files and files[0].startswith("s3://")):
        found.append(Violation("copy-manifest-source", "FROM is not one s3:// manifest URL", statement))
    return found


def _tree_rules(tree: exp.Expression, statement: str, date_names: frozenset[str]) -> list[Violation]:
    found: list[Violation] = []
    for node in tree.walk():
        if isinstance(node, exp.Identifier):
            found += _identifier_rules(node.name, bool(node.args.get("quoted")), statement)
        elif isinstance(node, exp.DataType):
            found += _type_rules(node, statement)
        elif isinstance(node, exp.Merge):
            found += _merge_rules(node, statement, remove_duplicates=bool(node.meta.get("remove_duplicates")))
        elif isinstance(node, exp.Create) and str(node.args.get("kind", "")).upper() in (
            "INDEX",
            "SEQUENCE",
            "TRIGGER",
            "TYPE",
            "EXTENSION",
            "DOMAIN",
        ):
            found.append(Violation("unsupported-feature", f"CREATE {node.args['kind']} does not exist", statement))
        elif isinstance(node, exp.PartitionedByProperty):
            found.append(Violation("unsupported-feature", "table partitioning (PARTITION BY)", statement))
        elif isinstance(node, (exp.CheckColumnConstraint, exp.Check)):
            found.append(Violation("unsupported-feature", "CHECK constraint", statement))
        elif isinstance(node, exp.ComputedColumnConstraint):
            found.append(Violation("unsupported-feature", "stored generated column", statement))
        elif isinstance(node, (exp.Array, exp.Bracket)):
            found.append(Violation("unsupported-feature", f"array expression {node.sql()[:40]}", statement))
        elif isinstance(node, exp.Values) and not isinstance(node.parent, exp.Insert):
            found.append(Violation("unsupported-feature", "VALUES list used as a constant table", statement))
        elif isinstance(node, (exp.NullSafeEQ, exp.NullSafeNEQ)):
            found.append(Violation("unsupported-function", "IS [NOT] DISTINCT FROM", statement))
        elif isinstance(node, exp.OnConflict):
            found.append(Violation("dml-form", "ON CONFLICT", statement))
        elif isinstance(node, exp.Returning):
            found.append(Violation("dml-form", "RETURNING", statement))
        elif isinstance(node, (exp.Add, exp.Sub)):
            left, right = node.this, node.expression
            if (_is_date(left, date_names) and _is_integer(right)) or (
                isinstance(node, exp.Add) and _is_integer(left) and _is_date(right, date_names)
            ):
                found.append(Violation("date-arithmetic", f"{node.sql()} adds an integer to a DATE", statement))
    return found


# ---- Procedures ------------------------------------------------------------------------------------------------


@dataclass
class _Body:
    """What the PL/pgSQL walk has learned: DATE-typed names and the findings."""

    statement: str
    date_names: set[str] = field(default_factory=set)
    found: list[Violation] = field(default_factory=list)


def _split_args(args: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in args:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p.strip() for p in [*parts, current] if p.strip()]


def _declare(name: str, type_text: str, body: _Body) -> None:
    body.found += _identifier_rules(name, False, body.statement)
    try:
        dtype = exp.DataType.build(type_text, dialect="redshift")
    except (ParseError, ValueError):
        if type_text.upper() not in ("RECORD", "REFCURSOR"):
            body.found.append(Violation("unsupported-type", f"unknown type {type_text!r}", body.statement))
        return
    body.found += _type_rules(dtype, body.statement)
    body.found += [v for v in _token_rules(_tokens(type_text), body.statement) if v.rule == "unsupported-type"]
    if dtype.this == _T.DATE:
        body.date_names.add(name.lower())


def _check_procedure(statement: str, date_columns: frozenset[str]) -> list[Violation]:
    head = _PROCEDURE_HEAD.match(statement)
    depth, close = 1, -1
    for index in range(head.end() if head else len(statement), len(statement)):
        depth += {"(": 1, ")": -1}.get(statement[index], 0)
        if depth == 0:
            close = index
            break
    match = _PROCEDURE_TAIL.match(statement[close + 1 :]) if head and close > 0 else None
    if head is None or match is None:
        return [Violation("procedure-form", "not CREATE PROCEDURE name (args) … AS $$ body $$ …", statement)]
    arguments = statement[head.end() : close]
    body = _Body(statement, set(date_columns))
    name = head["name"].split(".")[-1].strip('"')
    if not name.lower().startswith("sp_"):
        body.found.append(Violation("procedure-name", f"procedure {name!r} lacks the sp_ prefix", statement))
    options, inputs = (match["pre"] + " " + match["post"]).strip(), 0
    seen: dict[str, str] = {}
    while options:
        option = _PROCEDURE_OPTION.match(options)
        if option is None:
            body.found.append(Violation("procedure-form", f"unexpected {options[:40]!r}", statement))
            break
        seen.update({k: v for k, v in option.groupdict().items() if v})
        options = options[option.end() :].strip()
    if seen.get("lang", "").lower() != "plpgsql":
        body.found.append(Violation("procedure-form", "LANGUAGE plpgsql is required", statement))
    if seen.get("nonatomic") and (seen.get("security", "").upper() == "DEFINER" or seen.get("set")):
        body.found.append(Violation("procedure-form", "NONATOMIC with SECURITY DEFINER or SET", statement))
    for arg in _split_args(arguments):
        words = arg.split()
        modes = [w for w in words[:2] if w.upper() in ("IN", "OUT", "INOUT")]
        names = [w for w in words[:2] if w.upper() not in ("IN", "OUT", "INOUT")][: 1 if len(words) > 1 else 0]
        type_text = " ".join(words[len(modes) + len(names) :])
        if not modes or modes[0].upper() != "OUT":
            inputs += 1
        _declare(names[0] if names else "arg", type_text, body)
    if inputs > 32:
        body.found.append(Violation("procedure-form", f"{inputs} input arguments (at most 32)", statement))
    _walk_body(match["body"], body)
    return body.found


_BLOCK_PREFIX = re.compile(
    r"^(?:<<\w+>>\s*|DECLARE\b\s*|BEGIN\b\s*|ELSE\b\s*|LOOP\b\s*"
    r"|EXCEPTION\s+WHEN\s+(?P<condition>\w+)\s+THEN\b\s*"
    r"|(?:IF|ELSIF|ELSEIF|WHILE)\s+(?P<test>.*?)\s+(?:THEN|LOOP)\b\s*"
    r"|FOR\s+\w+\s+IN\s+(?:REVERSE\s+)?(?P<query>.*?)\s+LOOP\b\s*)",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK_END = re.compile(r"^END(?:\s+(?:IF|LOOP|CASE))?(?:\s+\w+)?$", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"^(?P<name>\w+)\s*(?::=|=)\s*(?P<expr>.*)$", re.DOTALL)
_DECLARATION = re.compile(r"^(?P<name>\w+)\s+(?:CONSTANT\s+)?(?P<type>.*?)(?:\s+NOT\s+NULL)?(?:\s*(?::=|DEFAULT).*)?$")
_SQL_COMMANDS = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "COPY", "UNLOAD", "GRANT", "TRUNCATE"}
)
_PLPGSQL_OK = frozenset({"NULL", "CALL", "EXIT", "CONTINUE", "OPEN", "FETCH", "CLOSE", "COMMIT", "ROLLBACK", "START"})


def _split_body(text: str) -> list[str]:
    """PL/pgSQL statements split at top-level semicolons (string literals kept whole by the tokenizer)."""
    pieces, start = [], 0
    for tok in _tokens(text):
        if tok.token_type == TokenType.SEMICOLON:
            pieces.append(text[start : tok.start].strip())
            start = tok.end + 1
    tail = text[start:].strip()
    return [p for p in [*pieces, tail] if p]


def _check_expression(sql: str, body: _Body) -> None:
    try:
        tree = sqlglot.parse_one(f"SELECT {sql}", read="redshift")
    except ParseError:
        body.found.append(Violation("partial-statement", f"cannot parse expression {sql[:40]!r}", body.statement))
        return
    body.found += _tree_rules(tree, body.statement, frozenset(body.date_names))
    body.found += _token_rules(_tokens(sql), body.statement)


def _walk_body(text: str, body: _Body) -> None:
    declaring = False
    for piece in _split_body(text):
        while (prefix := _BLOCK_PREFIX.match(piece)) and prefix.end() > 0:
            word = piece.split()[0].upper()
            declaring = (declaring or word == "DECLARE") and word != "BEGIN"
            if prefix["condition"] and prefix["condition"].upper() != "OTHERS":
                body.found.append(
                    Violation("plpgsql-exception", f"WHEN {prefix['condition']} (only OTHERS)", body.statement)
                )
            if prefix["test"]:
                _check_expression(prefix["test"], body)
            if prefix["query"] and prefix["query"].upper().startswith("SELECT"):
                body.found += check_statement(prefix["query"], date_columns=frozenset(body.date_names))
            piece = piece[prefix.end() :].strip()
        if not piece or _BLOCK_END.match(piece):
            continue
        if declaring:
            declaration = _DECLARATION.match(piece)
            if declaration is None:
                body.found.append(Violation("partial-statement", f"declaration {piece[:40]!r}", body.statement))
            else:
                _declare(declaration["name"], declaration["type"], body)
            continue
        _check_plpgsql_statement(piece, body)


def _check_plpgsql_statement(piece: str, body: _Body) -> None:
    words = piece.split()
    first = words[0].upper()
    second = words[1].upper() if len(words) > 1 else ""
    assignment = _ASSIGNMENT.match(piece)
    if first in _SQL_COMMANDS:
        body.found += check_statement(piece, date_columns=frozenset(body.date_names))
    elif first == "RAISE":
        _check_raise(piece, body)
    elif first == "EXECUTE":
        return  # dynamic SQL: the text is only known at run time
    elif first == "RETURN" and second in ("NEXT", "QUERY"):
        body.found.append(Violation("plpgsql-statement", f"RETURN {second}", body.statement))
    elif first == "GET" and (second == "STACKED" or "ROW_COUNT" not in piece.upper()):
        body.found.append(Violation("plpgsql-statement", "GET DIAGNOSTICS other than ROW_COUNT", body.statement))
    elif assignment and first not in _PLPGSQL_OK:
        _check_expression(assignment["expr"], body)
    elif first in _PLPGSQL_OK or first in ("RETURN", "GET"):
        body.found += _token_rules(_tokens(piece), body.statement)
    else:
        body.found.append(
            Violation("plpgsql-statement", f"{first} is not a supported PL/pgSQL statement", body.statement)
        )


def _check_raise(piece: str, body: _Body) -> None:
    tokens = _tokens(piece)[1:]
    if not tokens:
        return  # bare RAISE re-throws inside an exception block
    level = tokens[0].text.upper()
    if level not in RAISE_LEVELS:
        body.found.append(Violation("plpgsql-raise", f"RAISE level {level}", body.statement))
        return
    rest = tokens[1:]
    if not rest or rest[0].token_type != TokenType.STRING:
        body.found.append(Violation("plpgsql-raise", "format is not a string literal", body.statement))
        return
    if any(t.text.upper() == "USING" for t in rest):
        body.found.append(Violation("plpgsql-raise", "RAISE … USING", body.statement))
    arguments = rest[1:]
    if any(t.token_type not in (TokenType.COMMA, TokenType.VAR) for t in arguments) or len(arguments) % 2:
        body.found.append(Violation("plpgsql-raise", "RAISE arguments must be simple variables", body.statement))


# ---- Entry points ----------------------------------------------------------------------------------------------


def _check_call(statement: str) -> list[Violation]:
    match = re.match(r"^CALL\s+[\w$.]+\s*\((?P<args>.*)\)$", statement, re.IGNORECASE | re.DOTALL)
    if match is None:
        return [Violation("partial-statement", "CALL is not CALL name(args)", statement)]
    found = _token_rules(_tokens(statement), statement)
    for arg in _split_args(match["args"]):
        try:
            found += _tree_rules(sqlglot.parse_one(f"SELECT {arg}", read="redshift"), statement, frozenset())
        except ParseError:
            found.append(Violation("partial-statement", f"cannot parse CALL argument {arg!r}", statement))
    return found


def _check_grant(statement: str, tokens: Sequence[Token]) -> list[Violation]:
    words = [t.text.upper() for t in tokens]
    if "PROCEDURE" in words:
        after = words.index("PROCEDURE") + 1
        while after < len(words) and (tokens[after].token_type in (TokenType.VAR, TokenType.DOT)):
            after += 1
        if after >= len(words) or tokens[after].token_type != TokenType.L_PAREN:
            return [Violation("grant-procedure", "procedure named without its argument types", statement)]
    return []


def check_statement(sql: str, *, date_columns: Iterable[str] = ()) -> list[Violation]:
    """Violations of the Redshift rules in one statement; ``date_columns`` are names known to be DATE-typed."""
    statement = sql.strip().rstrip(";").strip()
    dates = frozenset(c.lower() for c in date_columns)
    tokens = _tokens(statement)
    if not tokens:
        return [Violation("partial-statement", "empty or untokenizable statement", statement)]
    head = " ".join(t.text.upper() for t in tokens[:4])
    if re.match(r"^CREATE (OR REPLACE )?PROCEDURE\b", head):
        return _check_procedure(statement, dates)
    if head.startswith("CALL"):
        return _check_call(statement)
    found = _check_grant(statement, tokens) if head.startswith("GRANT") else []
    remove_duplicates = head.startswith("MERGE") and bool(_REMOVE_DUPLICATES.search(statement))
    parsed = statement
    if remove_duplicates:  # sqlglot has no REMOVE DUPLICATES; a stand-in clause lets it parse the rest
        if re.search(r"\bWHEN\b", statement, re.IGNORECASE):
            found.append(Violation("merge-clauses", "REMOVE DUPLICATES combined with WHEN clauses", statement))
        parsed = _REMOVE_DUPLICATES.sub("WHEN MATCHED THEN DELETE", statement)
    try:
        trees = [t for t in sqlglot.parse(parsed, read="redshift") if t is not None]
    except ParseError as error:
        return [*found, Violation("partial-statement", f"does not parse: {str(error).splitlines()[0]}", statement)]
    if len(trees) != 1 or isinstance(trees[0], exp.Command):
        return [*found, Violation("partial-statement", "not one complete, checkable SQL command", statement)]
    tree = trees[0]
    if remove_duplicates and isinstance(tree, exp.Merge):
        tree.meta["remove_duplicates"] = True
        tree.set("whens", None)
    if isinstance(tree, exp.Copy):
        found += _copy_rules(tokens, statement)
    found += _tree_rules(tree, statement, dates)
    found += _token_rules(tokens, statement)
    return found


def date_columns_of(statements: Iterable[str]) -> frozenset[str]:
    """Names of the DATE columns the CREATE TABLE statements of a script declare."""
    names = set()
    for sql in statements:
        if not re.match(r"^\s*CREATE\s+(TEMP(ORARY)?\s+)?TABLE\b", sql, re.IGNORECASE):
            continue
        try:
            tree = sqlglot.parse_one(sql, read="redshift")
        except ParseError:
            continue
        names |= {c.name.lower() for c in tree.find_all(exp.ColumnDef) if c.kind and c.kind.this == _T.DATE}
    return frozenset(names)


def check_script(statements: Sequence[str]) -> list[Violation]:
    """Violations in every statement of a script (DATE columns of its tables known to the date-arithmetic rule)."""
    dates = date_columns_of(statements)
    return [v for sql in statements for v in check_statement(sql, date_columns=dates)]


def check_manifest(manifest: dict, *, data_format: str = "PARQUET") -> list[Violation]:
    """Violations of the COPY manifest contract; for ORC/Parquet every entry needs ``meta.content_length``."""
    found = []
    entries = manifest.get("entries") if isinstance(manifest, dict) else None
    if not isinstance(entries, list) or not entries:
        return [Violation("manifest-content-length", "manifest has no 'entries' list", str(manifest)[:90])]
    for entry in entries:
        url = entry.get("url", "") if isinstance(entry, dict) else ""
        if not isinstance(url, str) or not url.startswith("s3://"):
            found.append(Violation("manifest-content-length", f"entry url {url!r} is not s3://", str(entry)))
        if not isinstance(entry.get("mandatory", False), bool):
            found.append(Violation("manifest-content-length", "mandatory is not a boolean", str(entry)))
        length = (entry.get("meta") or {}).get("content_length")
        if data_format.upper() in COLUMNAR_FORMATS and (not isinstance(length, int) or length < 0):
            found.append(Violation("manifest-content-length", f"{url}: no meta.content_length", str(entry)))
    return found
