"""The energylake JVM functions (glue/jvm) against Spark's own JSON reading, and the jar's build."""

from __future__ import annotations

import json
import os
import zipfile

import pytest
from pyspark.sql import functions as F

from energylake import jvm
from lakectl import jvm as jvm_build

KEYS = sorted(["data", "date", "device_id", "id", "metrics", "site_id", "ts", "type"])

# Lines of every shape a producer can send: each is read by the function and by Spark's from_json with a map
# of strings (what the telemetry parse used before), which must agree on all of them.
LINES = [
    '{"id": "WF-ROSCOE-T01", "data": 0.8161, "type": "powerFactor", "date": "2024-05-01T23:20:05.970Z"}',
    '{"device_id": "WF-A-T01", "site_id": "WF-A", "ts": "2024-05-01T00:00:00Z", "metrics": {"power_factor": 0.9}}',
    '{"id": "x", "data": 1.50, "type": "t"}',
    '{"id": "x", "data": 1e2, "type": "t"}',
    '{"id": "x", "data": -0, "type": "t"}',
    '{"id": "x", "data": 123456789012345678901234567890}',
    '{"id": "x", "data": "  12.5 ", "type": "t"}',
    '{"id": "x", "data": NaN}',
    '{"id": "x", "data": -Infinity}',
    "{'id': 'single-quoted', 'data': 2}",
    '{"id": true, "data": false, "type": null}',
    '{"site_id": {"a": [1, 2.50, "b"], "c": {}}, "id": [1, {"x": null}]}',
    '{"id": "caf\\u00e9 \\"quoted\\" \\n", "type": "\u00fcnicode"}',
    '{"id": "x", "zz": 1, "aa": {"deep": [1]}, "zz": 2}',
    '{"device_id": "d", "metrics": {"a": 1, "b": "2.5", "c": null, "d": {"e": 1}, "f": true, "g": [1], "a": 3}}',
    '{"device_id": "d", "metrics": "not an object"}',
    '{"device_id": "d", "metrics": [1, 2]}',
    '{"device_id": "d", "metrics": {}}',
    '{"device_id": "d", "metrics": null}',
    "{}",
    "",
    "   ",
    "[]",
    '[{"id": "x"}]',
    '"just a string"',
    "42",
    "null",
    '{"id": "x"',
    '{"id": "x",}',
    '{"id" "x"}',
    '{"id": x}',
    '{id: "x"}',
    '{"id": "x"} trailing',
    '{"id": "x"}{"id": "y"}',
    '{"id": "x", "data": 01}',
    '{"id": "x" /* comment */}',
    '{"metrics": {"a": 1}, "metrics_x": 2}',
]


def _read(spark, lines: list[str]):
    frame = spark.createDataFrame([(i, line) for i, line in enumerate(lines)], "i int, line string")
    return {
        row.i: row
        for row in frame.select(
            "i",
            jvm.json_object_fields(spark, F.col("line"), KEYS, "metrics").alias("doc"),
            F.from_json("line", "map<string,string>").alias("doc_map"),
        ).collect()
    }


def _same_value(text: str | None, expected: str | None) -> bool:
    """A value's text as the function gives it equals Spark's, or both are the same number written differently."""
    if text == expected:
        return True
    try:
        return text is not None and expected is not None and float(text) == float(expected)
    except ValueError:
        return False


def test_json_object_fields_agree_with_sparks_json_reader(spark):
    for i, row in sorted(_read(spark, LINES).items()):
        line, doc, expected = LINES[i], row.doc, row.doc_map
        assert doc.malformed == (expected is None), line
        if expected is None:
            assert (doc.unknown, doc.text, doc.entries) == (None, None, None), line
            continue
        assert doc.unknown == (",".join(sorted(set(expected) - set(KEYS))) or None), line
        for position, key in enumerate(KEYS):
            if key == "metrics" and doc.entries is not None:
                assert doc.text[position] is None, line
                continue
            assert _same_value(doc.text[position], expected.get(key)), (line, key)
            number = doc.number[position]
            if number is not None:
                assert number == float(expected[key]) or (number != number and expected[key] == "NaN"), (line, key)


def test_json_object_fields_reads_a_nested_objects_members_in_order(spark):
    row = _read(spark, [LINES[14]])[0]
    members = [(e.key, e.number, e.text) for e in row.doc.entries]
    # Numbers as numbers (no text), anything else as Spark writes it into a string; a repeated member stays.
    assert members == [
        ("a", 1.0, None),
        ("b", None, "2.5"),
        ("c", None, None),
        ("d", None, '{"e":1}'),
        ("f", None, "true"),
        ("g", None, "[1]"),
        ("a", 3.0, None),
    ]
    expected = json.loads(row.doc_map["metrics"].replace("'", '"'))
    assert [e.key for e in row.doc.entries if e.key in expected] == [e.key for e in row.doc.entries]


def test_json_object_fields_names_a_repeated_key_and_each_unknown_key_once(spark):
    doc = _read(spark, ['{"id": "x", "zz": 1, "aa": {"deep": [1]}, "zz": 2, "id": "y", "type": "t"}'])[0].doc
    assert (doc.malformed, doc.repeated, doc.unknown) == (False, "id", "aa,zz")
    assert doc.text[KEYS.index("id")] == "x"  # the first value, as a map lookup on Spark's parse returns


def test_json_object_fields_treats_undecodable_bytes_as_malformed(spark):
    frame = spark.createDataFrame([(bytearray(b'{"id": "\xff\xfe"}'),)], "line binary")
    doc = frame.select(jvm.json_object_fields(spark, F.col("line"), KEYS, "metrics").alias("d")).first().d
    assert doc.malformed


def test_json_object_fields_rejects_keys_it_cannot_pass(spark):
    with pytest.raises(ValueError, match="cannot contain ','"):
        jvm.json_object_fields(spark, F.col("line"), ["a,b"], "metrics")


def test_a_session_without_the_jar_gets_a_clear_error(spark, monkeypatch):
    monkeypatch.setattr(jvm, "JSON_OBJECT_FIELDS", "energylake_missing_function")
    monkeypatch.setattr(jvm, "JSON_OBJECT_FIELDS_CLASS", "energylake.spark.NoSuchFunction")
    with pytest.raises(jvm.JvmFunctionsMissingError, match="--extra-jars"):
        jvm.json_object_fields(spark, F.col("line"), KEYS, "metrics")


def test_the_jar_is_built_from_the_sources_and_rebuilt_when_one_changes(tmp_path):
    jar = tmp_path / "functions.jar"
    assert jvm_build.build_jar(jar) == jar
    with zipfile.ZipFile(jar) as archive:
        names = archive.namelist()
    assert "energylake/spark/JsonObjectFields.class" in names and "META-INF/MANIFEST.MF" in names
    built = jar.stat().st_mtime
    assert jvm_build.build_jar(jar).stat().st_mtime == built  # up to date: left alone
    os.utime(jar, (0, 0))  # older than every source
    assert jvm_build.build_jar(jar).stat().st_mtime > 0


def test_building_the_jar_without_a_jdk_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no javac anywhere
    with pytest.raises(jvm_build.JdkMissingError, match="openjdk-17-jdk-headless"):
        jvm_build.build_jar(tmp_path / "functions.jar")


def test_the_builtin_switch_reads_every_line_as_the_jvm_function_does(spark):
    """energylake.jvm.JSON_READER_CONF=builtin: from_json gives the function's struct, numbers as their text."""
    lines = [*LINES, '{"id": "x", "zz": 1, "aa": {"deep": [1]}, "zz": 2, "id": "y", "type": "t"}']
    frame = spark.createDataFrame([(i, line) for i, line in enumerate(lines)], "i int, line string")
    rows = (
        frame.select(
            "i",
            jvm.json_object_fields(spark, F.col("line"), KEYS, "metrics").alias("doc"),
            jvm.json_object_map(F.col("line")).alias("m"),
        )
        .select("i", "doc", jvm.json_object_fields_from_map(F.col("m"), KEYS, "metrics").alias("plain"))
        .collect()
    )
    for row in rows:
        line, doc, plain = lines[row.i], row.doc, row.plain
        assert (plain.malformed, plain.unknown, plain.repeated) == (doc.malformed, doc.unknown, doc.repeated), line
        if doc.malformed:
            assert (plain.text, plain.entries) == (None, None), line
            continue
        assert set(plain.number) == {None}, line
        for position, key in enumerate(KEYS):
            expected = doc.text[position]
            assert _same_value(plain.text[position], expected), (line, key)
        if doc.entries is None:
            assert plain.entries is None, line
            continue
        assert [e.key for e in plain.entries] == [e.key for e in doc.entries], line
        for mine, theirs in zip(plain.entries, doc.entries, strict=True):
            if theirs.number is not None:
                assert float(mine.text) == theirs.number, (line, mine.key)
            else:
                assert mine.text == theirs.text, (line, mine.key)


def test_the_telemetry_parse_gives_the_same_rows_with_either_json_reader(spark):
    """tag_readings on the robustness corpus' telemetry: the same rows and reasons with the switch either way."""
    from pathlib import Path

    from energylake import parse, telemetry

    root = Path(__file__).resolve().parents[1] / "robustness" / "corpus" / "raw" / "telemetry"
    files = sorted(str(p) for p in root.rglob("*.json"))
    assert len(files) >= 10

    def rows() -> list[tuple]:
        lines = parse.read_lines(spark, files)
        tagged = telemetry.tag_readings(lines)
        return sorted(tuple(str(v) for v in row) for row in tagged.collect())

    with_jvm = rows()
    spark.conf.set(jvm.JSON_READER_CONF, jvm.BUILTIN_JSON_READER)
    try:
        assert not jvm.uses_jvm_json_reader(spark)
        builtin = rows()
    finally:
        spark.conf.unset(jvm.JSON_READER_CONF)
    assert len(with_jvm) > 50 and any(row[-2] != "None" for row in with_jvm)  # rows with reasons among them
    assert builtin == with_jvm
