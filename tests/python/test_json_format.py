"""The Rust core's canonical JSON against google.protobuf.json_format, and its
binary encoding against google.protobuf's, over every golden vector."""

import json

from google.protobuf import json_format

from conftest import delimited, undelimited


def test_json_format_reads_each_vector_to_the_golden_json_value(vectors, schema):
    for name, data, value in vectors:
        msg = schema.LogEntry.FromString(data)
        assert json.loads(json_format.MessageToJson(msg)) == value, name
        assert msg.SerializeToString() == data, name


def test_json_format_parses_the_golden_json_to_the_golden_bytes(vectors, schema):
    for name, data, value in vectors:
        msg = json_format.Parse(json.dumps(value), schema.LogEntry())
        assert msg.SerializeToString() == data, name


def test_rust_parses_what_json_format_writes(vectors, schema, complog):
    texts = []
    for name, data, _ in vectors:
        msg = schema.LogEntry.FromString(data)
        # json_format's own spelling: indented, 1e-07, original names when asked.
        texts.append(json.dumps(json.loads(json_format.MessageToJson(msg))))
        texts.append(json.dumps(json.loads(json_format.MessageToJson(msg, preserving_proto_field_name=True))))
    out = undelimited(complog(["convert", "--to", "binary", "-"], "\n".join(texts).encode()))
    expected = [data for _, data, _ in vectors for _ in range(2)]
    assert out == expected


def test_rust_writes_the_json_format_value_for_each_vector(vectors, schema, complog):
    lines = complog(["convert", "--to", "jsonl", "-"], delimited([d for _, d, _ in vectors])).decode().split("\n")[:-1]
    for (name, data, _), line in zip(vectors, lines):
        assert json.loads(line) == json.loads(json_format.MessageToJson(schema.LogEntry.FromString(data))), name
