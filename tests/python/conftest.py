"""Shared fixtures of the Python tests: the Rust `complog` binary, the golden
vectors, the schema as dynamic google.protobuf classes, and a driver for the
published lokryn-compliance-log 0.1.1 wheel, which runs in a subprocess of its
own because it has the same import name as the wheel this project builds."""

import json
import os
import subprocess
import sys
from pathlib import Path

import google.protobuf
import pytest

ROOT = Path(__file__).resolve().parents[2]
PROTOBUF_VERSION = tuple(int(p) for p in google.protobuf.__version__.split(".")[:2])
VECTORS = ROOT / "tests" / "vectors" / "wire"
DRIVER = Path(__file__).with_name("published_driver.py")


def _complog_path():
    path = os.environ.get("COMPLOG")
    if not path:
        pytest.skip("COMPLOG is not set; run through `cargo xtask test`")
    return path


@pytest.fixture(scope="session")
def complog():
    """Runs the complog binary: complog(args, stdin_bytes) -> stdout bytes."""
    path = _complog_path()

    def run(args, data=b""):
        proc = subprocess.run([path, *args], input=data, capture_output=True, check=False)
        assert proc.returncode == 0, proc.stderr.decode()
        return proc.stdout

    return run


@pytest.fixture(scope="session")
def vectors():
    """[(name, binary bytes, JSON value)] for every golden vector."""
    manifest = json.loads((VECTORS / "manifest.json").read_text())
    return [
        (v["name"], (VECTORS / v["binary"]).read_bytes(), json.loads((VECTORS / v["json"]).read_text()))
        for v in manifest["vectors"]
    ]


@pytest.fixture(scope="session")
def schema(complog):
    """The schema as google.protobuf classes, built from the descriptor set the
    Rust core embeds (`complog schema --descriptor-set`): no protoc involved."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fds = descriptor_pb2.FileDescriptorSet.FromString(complog(["schema", "--descriptor-set"]))
    pool = descriptor_pool.DescriptorPool()
    for file in fds.file:
        pool.Add(file)
    desc = pool.FindMessageTypeByName("lokryn.compliancelog.v1.LogEntry")
    if hasattr(message_factory, "GetMessageClass"):
        log_entry = message_factory.GetMessageClass(desc)
    else:  # protobuf < 4.22, the oldest end of the wheel's protobuf matrix
        log_entry = message_factory.MessageFactory(pool).GetPrototype(desc)

    class Schema:
        LogEntry = log_entry
        descriptor = desc
        file_descriptor_set = fds

    return Schema


@pytest.fixture(scope="session")
def published():
    """Calls the published 0.1.1 package: published(command, payload) -> result."""
    path = os.environ.get("LOKRYN_PUBLISHED_0_1_1")
    if not path:
        pytest.skip("LOKRYN_PUBLISHED_0_1_1 is not set; run through `cargo xtask test`")

    def call(command, payload=None):
        env = dict(os.environ, PYTHONPATH=path)
        proc = subprocess.run(
            [sys.executable, str(DRIVER), command],
            input=json.dumps(payload).encode(),
            capture_output=True,
            env=env,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr.decode()
        return json.loads(proc.stdout)

    return call


def delimited(messages):
    """Length-delimited framing of encoded messages."""
    out = bytearray()
    for m in messages:
        n = len(m)
        while True:
            byte = n & 0x7F
            n >>= 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                break
        out += m
    return bytes(out)


def undelimited(data):
    """The messages of a length-delimited stream."""
    out, i = [], 0
    while i < len(data):
        n = shift = 0
        while True:
            b = data[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        out.append(data[i : i + n])
        i += n
    return out


@pytest.fixture
def published_0_1_1():
    """Runs Python code against the published 0.1.1 wheel, installed apart.

    Returns a function taking source code and stdin bytes, returning stdout bytes.
    """
    path = os.environ.get("LOKRYN_PUBLISHED_0_1_1")
    if not path:
        pytest.skip("LOKRYN_PUBLISHED_0_1_1 is not set (cargo xtask test sets it)")
    if PROTOBUF_VERSION < (6, 33):
        pytest.skip("the published 0.1.1 wheel imports only on protobuf >= 6.33")

    def run(code: str, stdin: bytes = b"") -> bytes:
        env = dict(os.environ, PYTHONPATH=path)
        done = subprocess.run([sys.executable, "-c", code], input=stdin, env=env,
                              capture_output=True, check=False)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout

    return run
