"""The benchmarks' sink behaves like a real server where that changes a client's timing:
it answers ``Expect: 100-continue`` before the body is sent, keeps connections alive, and
reads chunked bodies. Judged by raw sockets and by curl, not by the sink's own code."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "sink.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_sink", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sink_module = _load()


@pytest.fixture
def sink() -> Iterator[object]:
    s = sink_module.Sink()
    yield s
    s.close()


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=5)
    return conn


def _read_answer(conn: socket.socket) -> bytes:
    """One whole answer: its head, then as many body bytes as Content-Length says."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += conn.recv(4096)
    return head


def test_it_answers_100_continue_before_the_body_is_sent(sink: object) -> None:
    conn = _connect(sink.url)  # type: ignore[attr-defined]
    conn.sendall(
        b"POST /1/upload.json HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Expect: 100-continue\r\n\r\n"
    )
    # Nothing of the body has left: a sink that waits for it would time out here.
    interim = conn.recv(4096)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    conn.sendall(b"hello")
    assert _read_answer(conn).startswith(b"HTTP/1.1 200 OK")
    conn.close()


def test_it_keeps_the_connection_alive_and_reads_chunked_bodies(sink: object) -> None:
    conn = _connect(sink.url)  # type: ignore[attr-defined]
    conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    assert _read_answer(conn).startswith(b"HTTP/1.1 200 OK")
    conn.sendall(
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\nwiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n"
    )
    assert _read_answer(conn).startswith(b"HTTP/1.1 200 OK")
    assert sink.requests == 2  # type: ignore[attr-defined]
    assert sink.body_bytes == 3 + 9  # type: ignore[attr-defined]
    conn.close()


def test_curl_gets_100_continue_and_reuses_its_connection(sink: object, tmp_path: Path) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (2 * 1024 * 1024))  # over 1 MB: curl sends Expect: 100-continue
    url = sink.url + "/1/upload.json"  # type: ignore[attr-defined]
    done = subprocess.run(
        [
            curl,
            "-sS",
            "-v",
            "-o",
            "/dev/null",
            "-F",
            f"media=@{big}",
            url,
            "--next",
            "-o",
            "/dev/null",
            "-F",
            f"media=@{big}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    log = done.stderr
    assert "Expect: 100-continue" in log
    assert log.count("< HTTP/1.1 100 Continue") == 2
    # curl's own words for a kept-alive connection (wording differs between versions).
    assert "Re-using existing" in log or "Reusing existing" in log
    assert sink.requests == 2  # type: ignore[attr-defined]
    assert sink.body_bytes > 2 * 2 * 1024 * 1024  # type: ignore[attr-defined]
