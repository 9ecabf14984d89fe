"""Files of length-delimited entries (and JSON Lines), read lazily."""

import gzip
import io
import random

import pytest

import lokryn_compliance_log as lcl
from entries import full_entry, random_entry


def entries(n, seed=1):
    rng = random.Random(seed)
    return [random_entry(rng) for _ in range(n)]


def test_write_then_read_a_file(tmp_path):
    path = tmp_path / "audit.binpb"
    written = entries(300)
    assert lcl.write_entries(path, written) == 300
    reader = lcl.read_entries(path)
    back = list(reader)
    assert back == written
    assert all(isinstance(e, lcl.LogEntry) for e in back)
    assert reader.count == 300 and reader.position == path.stat().st_size
    assert list(lcl.read_entries(str(path), raw=True)) == [e.SerializeToString() for e in written]


def test_the_framing_is_the_standard_varint_length_prefix(tmp_path):
    path = tmp_path / "x.binpb"
    entry = full_entry()
    lcl.write_entries(path, [entry])
    data = entry.SerializeToString()
    from google.protobuf.internal.encoder import _VarintBytes

    assert path.read_bytes() == _VarintBytes(len(data)) + data


def test_writer_context_manager_append_and_file_objects(tmp_path):
    path = tmp_path / "a.binpb"
    with lcl.EntryWriter(path) as out:
        out.write(full_entry())
        out.write(full_entry().SerializeToString())
        assert out.write_many(iter(entries(3))) == 3
        assert out.count == 5
    with lcl.EntryWriter(path, append=True) as out:
        out.write(lcl.LogEntry())
    assert len(list(lcl.read_entries(path))) == 6
    buffer = io.BytesIO()
    with lcl.EntryWriter(buffer) as out:
        out.write(full_entry())
    assert not buffer.closed, "a file object passed in is the caller's"
    assert list(lcl.read_entries(io.BytesIO(buffer.getvalue()))) == [full_entry()]
    assert list(lcl.read_entries(buffer.getvalue())) == [full_entry()]
    with pytest.raises(ValueError, match="closed"):
        out.write(full_entry())
    out.close()  # twice is fine


def test_gzip_file_objects(tmp_path):
    path = tmp_path / "a.binpb.gz"
    written = entries(50, seed=5)
    with gzip.open(path, "wb") as f:
        lcl.write_entries(f, written)
    with gzip.open(path, "rb") as f:
        assert list(lcl.read_entries(f)) == written


def test_reading_is_lazy():
    many = io.BytesIO()
    lcl.write_entries(many, [full_entry()] * 20_000)
    many.seek(0)
    reader = lcl.read_entries(many)
    assert next(reader) == full_entry()
    # 64 KiB chunks: far from the whole 6 MB was read for the first entry.
    assert many.tell() <= 128 * 1024 < len(many.getvalue())
    assert sum(1 for _ in reader) == 19_999


def test_a_bad_body_raises_with_index_and_offset_and_reading_goes_on():
    good = full_entry().SerializeToString()
    data = _frame(good) + _frame(b"\xff\xff\xff") + _frame(good)
    reader = lcl.read_entries(data)
    assert next(reader) == full_entry()
    with pytest.raises(lcl.DecodeError) as info:
        next(reader)
    err = info.value
    assert (err.index, err.offset, err.code) == (1, len(good) + 2, "DECODE")
    assert f"entry 1 (byte offset {len(good) + 2})" in str(err)
    assert next(reader) == full_entry()
    assert list(reader) == []


def test_truncation_ends_the_stream():
    good = full_entry().SerializeToString()
    data = (_frame(good) * 2)[:-5]
    reader = lcl.read_entries(data)
    next(reader)
    with pytest.raises(lcl.DecodeError) as info:
        next(reader)
    assert info.value.code == "TRUNCATED" and info.value.index == 1
    assert "5 more bytes" in str(info.value)
    assert list(reader) == []


def test_a_huge_length_prefix_is_refused_without_allocating():
    with pytest.raises(lcl.DecodeError) as info:
        list(lcl.read_entries(b"\xff\xff\xff\xff\xff\xff\xff\xff\x7f"))
    assert info.value.code == "TOO_LARGE"
    with pytest.raises(lcl.DecodeError) as info:
        list(lcl.read_entries(b"\xff" * 11))
    assert info.value.code == "LENGTH_PREFIX"
    with pytest.raises(lcl.DecodeError, match="over the limit of 100 bytes"):
        list(lcl.read_entries(_frame(full_entry().SerializeToString()), max_entry_bytes=100))


def test_json_lines():
    written = entries(20, seed=9)
    text = "\n".join(lcl.to_json(e) for e in written) + "\n\n"
    assert list(lcl.read_entries(text.encode(), format="jsonl")) == written
    bad = b'{"actorId": "a"}\nnot json\n{"actorId": "b"}\n'
    reader = lcl.read_entries(bad, format="jsonl")
    assert next(reader).actor_id == "a"
    with pytest.raises(lcl.JsonError) as info:
        next(reader)
    assert (info.value.index, info.value.line) == (1, 2)
    assert next(reader).actor_id == "b"
    with pytest.raises(ValueError, match="unknown format"):
        lcl.read_entries(b"", format="xml")


def test_paths_that_do_not_exist_raise_os_errors(tmp_path):
    missing = tmp_path / "nope.binpb"
    with pytest.raises(FileNotFoundError, match="nope.binpb"):
        lcl.read_entries(missing)
    with pytest.raises(FileNotFoundError):
        lcl.EntryWriter(tmp_path / "no" / "dir.binpb")


def test_errors_from_python_file_objects_come_through():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def read(self, n=-1):
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        list(lcl.read_entries(Broken()))

    class Text:
        def read(self, n=-1):
            return "text"

    with pytest.raises(TypeError, match="binary mode"):
        list(lcl.read_entries(Text()))


def test_closed_reader():
    with lcl.read_entries(b"") as reader:
        assert list(reader) == []
    with pytest.raises(ValueError, match="closed"):
        next(reader)


def test_writer_refuses_bytes_that_are_not_an_entry(tmp_path):
    with lcl.EntryWriter(tmp_path / "x") as out:
        with pytest.raises(lcl.DecodeError):
            out.write(b"\xff\xff")
        with pytest.raises(TypeError):
            out.write("not bytes")
        with pytest.raises(TypeError, match="entry 1: "):
            out.write_many([full_entry(), 3])
        assert out.count == 1


def _frame(data):
    from google.protobuf.internal.encoder import _VarintBytes

    return _VarintBytes(len(data)) + data


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_compressed_files_are_read_and_written_by_name(tmp_path, suffix):
    written = entries(120, seed=7)
    path = tmp_path / f"audit.binpb{suffix}"
    assert lcl.write_entries(path, written) == 120
    data = path.read_bytes()
    magic = b"\x1f\x8b" if suffix == ".gz" else b"\x28\xb5\x2f\xfd"
    assert data.startswith(magic)
    # By path, from bytes and from a file object: told by the magic bytes.
    assert list(lcl.read_entries(path)) == written
    assert list(lcl.read_entries(data)) == written
    assert list(lcl.read_entries(io.BytesIO(data))) == written
    # Appending adds a member (gzip) or frames (zstd): still one stream.
    with lcl.EntryWriter(path, append=True) as out:
        out.write(full_entry())
    assert list(lcl.read_entries(path)) == written + [full_entry()]


def test_gzip_written_by_python_is_read_directly(tmp_path):
    written = entries(30, seed=9)
    raw = io.BytesIO()
    lcl.write_entries(raw, written)
    path = tmp_path / "rotated.log.1"  # no telling extension
    path.write_bytes(gzip.compress(raw.getvalue()) + gzip.compress(b""))
    assert list(lcl.read_entries(path)) == written
    lines = "".join(lcl.to_json(e) + "\n" for e in written).encode()
    assert list(lcl.read_entries(gzip.compress(lines), format="jsonl")) == written


def test_corrupted_compressed_data_raises():
    data = bytearray(gzip.compress(b"\x00" * 1000))
    data[-5] ^= 0xFF  # the length in the trailer
    with pytest.raises(Exception):
        list(lcl.read_entries(bytes(data)))

def test_writers_refuse_what_readers_refuse_and_a_raised_limit_reads_back(tmp_path):
    big = full_entry()
    big.message = "m" * 5000
    data = big.SerializeToString()
    path = tmp_path / "big.binpb"
    for entry in (big, data):
        with lcl.EntryWriter(path, max_entry_bytes=1000) as out:
            with pytest.raises(lcl.DecodeError) as info:
                out.write(entry)
            assert info.value.code == "TOO_LARGE" and "over the limit of 1000 bytes" in str(info.value)
            assert out.count == 0
        assert path.read_bytes() == b""  # nothing of it was written
    with pytest.raises(lcl.DecodeError):
        lcl.write_entries(path, [full_entry(), big], max_entry_bytes=1000)
    # The default limits of reader and writer agree (4 MiB).
    huge = lcl.LogEntry(message="x" * (4 << 20))
    with lcl.EntryWriter(tmp_path / "huge.binpb") as out:
        with pytest.raises(lcl.DecodeError, match="TOO_LARGE|over the limit"):
            out.write(huge)
    # Raised on both sides, the file reads back.
    assert lcl.write_entries(path, [big, full_entry()], max_entry_bytes=len(data)) == 2
    assert [e.message for e in lcl.read_entries(path, max_entry_bytes=len(data))][0] == big.message
    with pytest.raises(lcl.DecodeError) as info:
        list(lcl.read_entries(path, max_entry_bytes=1000))
    assert info.value.code == "TOO_LARGE"
    text = lcl.to_json(big)
    with pytest.raises(lcl.JsonError) as info:
        lcl.from_json(text, max_entry_bytes=1000)
    assert info.value.code == "TOO_LARGE"
    assert lcl.from_json(text, max_entry_bytes=len(text)) == big


def test_skipping_a_bad_entry_and_going_on():
    """What the read_entries docs show: catch the error of one entry, go on."""
    good = full_entry().SerializeToString()
    data = _frame(good) + _frame(b"\x0a\x05ab") + _frame(good)
    reader = lcl.read_entries(data)
    read, skipped = [], []
    while True:
        try:
            read.append(next(reader))
        except StopIteration:
            break
        except lcl.DecodeError as err:
            skipped.append((err.index, err.offset))
    assert len(read) == 2 and skipped == [(1, len(_frame(good)))]
