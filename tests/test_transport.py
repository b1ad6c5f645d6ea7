"""The streaming body of the transport, checked without a network: its bytes are judged by
urllib3's own multipart encoder and by the standard library's MIME parser."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import io
import re
from pathlib import Path

import pytest
from urllib3.filepost import encode_multipart_formdata

from pixup.body import BLOCK, Body, FileChanged, FilePiece, multipart

SIZES = [0, 1, 2, 3, 4, 100, 65_536, 786_431, 786_432, 786_433, BLOCK + 1, 4 * BLOCK + 7]


def _data(size: int) -> bytes:
    return bytes((i * 7 + 3) % 256 for i in range(size))


def _file(tmp_path: Path, data: bytes) -> io.BufferedReader:
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    return open(path, "rb")


def _sent(body: Body) -> bytes:
    out = bytearray()
    for block in body:
        assert len(block) <= BLOCK
        out += block  # copied at once: the body reuses its buffer
    return bytes(out)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("as_base64", [False, True])
def test_a_file_is_sent_whole_its_length_known_and_its_digest_of_the_raw_bytes(
    tmp_path: Path, size: int, as_base64: bool
) -> None:
    data = _data(size)
    digest = hashlib.sha256()
    seen: list[tuple[int, int]] = []
    with _file(tmp_path, data) as fh:
        body = Body([FilePiece(fh, size, as_base64)], digest, lambda s, t: seen.append((s, t)))
        expected = base64.b64encode(data) if as_base64 else data
        assert len(body) == len(expected)
        assert _sent(body) == expected
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    if expected:
        assert seen[-1] == (len(expected), len(expected))
        assert [s for s, _ in seen] == sorted(s for s, _ in seen)


def test_the_form_is_byte_for_byte_what_urllib3_encodes(tmp_path: Path) -> None:
    data = _data(BLOCK * 2 + 5)
    fields = [("api_key", "k€y"), ("message", "a\r\nb")]
    with _file(tmp_path, data) as fh:
        content_type, pieces = multipart(
            fields, [("media", "café.png", "image/png", FilePiece(fh, len(data)))]
        )
        sent = _sent(Body(pieces))
    boundary = content_type.split("boundary=")[1]
    want, want_type = encode_multipart_formdata(
        [*fields, ("media", ("café.png", data, "image/png"))], boundary=boundary
    )
    assert (sent, content_type) == (want, want_type)


def test_the_form_parses_with_the_standard_library(tmp_path: Path) -> None:
    data = _data(300_000)
    with _file(tmp_path, data) as fh, open(fh.name, "rb") as again:
        content_type, pieces = multipart(
            [("message", "hello")],
            [
                ("media", "a.png", "image/png", FilePiece(fh, len(data))),
                ("b64", None, "text/plain", FilePiece(again, len(data), True)),
            ],
        )
        sent = _sent(Body(pieces))
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + sent
    )
    parts = list(message.iter_parts())  # type: ignore[attr-defined]
    assert [p.get_param("name", header="content-disposition") for p in parts] == [
        "message",
        "media",
        "b64",
    ]
    assert parts[0].get_payload(decode=True) == b"hello"
    assert parts[1].get_filename() == "a.png" and parts[1].get_content_type() == "image/png"
    assert parts[1].get_payload(decode=True) == data
    assert base64.b64decode(parts[2].get_payload(decode=True)) == data


def test_a_small_form_leaves_in_one_block(tmp_path: Path) -> None:
    data = _data(50_000)
    with _file(tmp_path, data) as fh:
        _, pieces = multipart(
            [("a", "b")], [("media", "x.png", "image/png", FilePiece(fh, 50_000))]
        )
        blocks = [bytes(b) for b in Body(pieces)]
    assert len(blocks) == 1
    assert re.search(rb"\r\n--[0-9a-f]{32}--\r\n$", blocks[0])


def test_a_file_that_shrinks_or_grows_stops_the_body(tmp_path: Path) -> None:
    for as_base64 in (False, True):
        path = tmp_path / "a.bin"
        path.write_bytes(b"x" * (3 * BLOCK))
        with open(path, "rb") as fh:
            blocks = iter(Body([FilePiece(fh, 3 * BLOCK, as_base64)]))
            next(blocks)
            with open(path, "r+b") as w:
                w.truncate(BLOCK)
            with pytest.raises(FileChanged, match="shorter"):
                list(blocks)
    path.write_bytes(b"y" * 1000)
    with open(path, "rb") as fh:
        blocks = iter(Body([FilePiece(fh, 1000)]))
        with open(path, "ab") as w:
            w.write(b"more")
        with pytest.raises(FileChanged, match="changed size"):
            list(blocks)


def test_a_big_file_hashed_on_the_helper_thread_matches_and_stops_cleanly(tmp_path: Path) -> None:
    data = _data(9 * BLOCK + 3)
    digest = hashlib.sha256()
    with _file(tmp_path, data) as fh:
        blocks = iter(Body([FilePiece(fh, len(data))], digest))
        first = bytes(next(blocks))
        blocks.close()  # a send that failed half way: the helper thread is told to stop
        assert first == data[:BLOCK]
        fh.seek(0)
        digest = hashlib.sha256()
        assert _sent(Body([FilePiece(fh, len(data))], digest)) == data
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
