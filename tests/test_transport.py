"""The streaming pieces of the transport, checked without a network."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest

from pixup.transport import Base64Reader, FileChanged, FixedReader


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 100, 196_607, 196_608, 196_609, 500_001])
@pytest.mark.parametrize("read_size", [1, 7, 8192, -1])
def test_base64_reader_streams_exactly_b64encode(size: int, read_size: int) -> None:
    raw = bytes((i * 7 + 3) % 256 for i in range(size))
    reader = Base64Reader(io.BytesIO(raw), size)
    expected = base64.b64encode(raw)
    assert reader.len == len(expected)
    out = bytearray()
    steps = 0
    while reader.len:
        before = reader.len
        chunk = reader.read(read_size)
        assert chunk, "read returned nothing while data was left"
        assert reader.len == before - len(chunk)
        out += chunk
        steps += 1
        if read_size == 1 and steps > 2000:
            break
    if read_size == 1 and size > 1000:
        assert bytes(out) == expected[: len(out)]
    else:
        assert bytes(out) == expected
        assert reader.read(10) == b""


def test_fixed_reader_stops_a_file_that_shrinks_or_grows(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 100_000)
    with open(path, "rb") as fh:
        reader = FixedReader(fh, 100_000)
        assert reader.read(10_000) == b"x" * 10_000
        assert reader.len == 90_000
        with open(path, "r+b") as w:
            w.truncate(50_000)
        reader.read(40_000)
        with pytest.raises(FileChanged, match="shorter"):
            reader.read(40_000)
    path.write_bytes(b"y" * 1000)
    with open(path, "rb") as fh:
        reader = FixedReader(fh, 1000)
        reader.read(500)
        with open(path, "ab") as w:
            w.write(b"more")
        with pytest.raises(FileChanged, match="changed size"):
            reader.read(500)
    with open(path, "rb") as fh:  # unchanged: read whole, no error
        reader = FixedReader(fh, 1004)
        assert reader.read(-1) == b"y" * 1000 + b"more"
        assert reader.len == 0


def test_base64_reader_stops_a_file_that_shrinks(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"z" * 300_000)
    with open(path, "rb") as fh:
        reader = Base64Reader(fh, 300_000)
        reader.read(1000)
        with open(path, "r+b") as w:
            w.truncate(1000)
        with pytest.raises(FileChanged):
            while reader.len:
                reader.read(65536)
