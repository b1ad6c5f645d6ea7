"""The streaming pieces of the transport, checked without a network."""

from __future__ import annotations

import base64
import io

import pytest

from pixup.transport import Base64Reader


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
