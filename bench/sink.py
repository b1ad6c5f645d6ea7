#!/usr/bin/env python3
"""An HTTP sink for benchmarks: reads each request's body, discards it, answers at once.

It behaves as a real server does where that changes a client's timing:

- it answers ``Expect: 100-continue`` with ``100 Continue`` before reading the body (curl
  asks for it on bodies over 1 MB and, unanswered, waits a second before sending: a sink
  that ignores it makes curl look a second slower than it is);
- it keeps connections alive (HTTP/1.1), so a client's connection reuse counts;
- it reads bodies given by Content-Length or chunked, in 1 MiB blocks.

Run alone (``python bench/sink.py [--delay S] [--cpu N]``), it prints its URL on the first
line and serves until it is stopped; ``--cpu`` pins it to one core. ``tests/test_bench_sink.py``
proves the behaviour above.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from io import BufferedReader

# A TwitrPix API 1 success: what both tools' answers are parsed as.
ANSWER = json.dumps(
    {"response": {"media": {"id": "x", "url": "http://sink/x"}, "user": {"id": "1"}}}
).encode()
BLOCK = 1 << 20


class Sink:
    """A sink on 127.0.0.1; ``delay`` seconds of "processing" before each answer."""

    def __init__(self, delay: float = 0.0, port: int = 0) -> None:
        self.delay = delay
        self.requests = 0
        self.body_bytes = 0
        self._lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(256)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        stream: BufferedReader = conn.makefile("rb", buffering=BLOCK)  # type: ignore[assignment]
        try:
            while self._one(conn, stream):
                pass
        except (OSError, ValueError):
            return
        finally:
            conn.close()

    def _one(self, conn: socket.socket, stream: BufferedReader) -> bool:
        """One request on a kept-alive connection; False when the client is done."""
        headers = _headers(stream)
        if headers is None:
            return False
        if headers.get("expect", "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            size = _discard_chunked(stream)
        else:
            size = _discard(stream, int(headers.get("content-length", "0")))
        with self._lock:
            self.requests += 1
            self.body_bytes += size
        if self.delay:
            time.sleep(self.delay)
        close = headers.get("connection", "").lower() == "close"
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(ANSWER)}\r\n".encode()
            + (b"Connection: close\r\n" if close else b"")
            + b"\r\n"
            + ANSWER
        )
        return not close


class SinkProcess:
    """A :class:`Sink` in a process of its own, pinned to ``cpu``: no lock shared with the
    benchmark, and the same placement for every client. Unpinned, curl's time to the sink
    is bimodal (0.33 or 0.75 s a GiB here) by whether the scheduler puts it on the sink's
    core."""

    def __init__(self, delay: float = 0.0, cpu: int | None = None) -> None:
        args = [sys.executable, __file__, "--delay", str(delay)]
        if cpu is not None:
            args += ["--cpu", str(cpu)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _headers(stream: BufferedReader) -> dict[str, str] | None:
    line = stream.readline()
    if not line:
        return None
    headers: dict[str, str] = {}
    while True:
        line = stream.readline()
        if line in (b"\r\n", b"\n", b""):
            return headers
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()


def _discard(stream: BufferedReader, length: int) -> int:
    buf = memoryview(bytearray(BLOCK))
    left = length
    while left > 0:
        got = stream.readinto(buf[: min(left, BLOCK)])
        if not got:
            raise ValueError("the body ended early")
        left -= got
    return length


def _discard_chunked(stream: BufferedReader) -> int:
    total = 0
    while True:
        size = int(stream.readline().split(b";")[0], 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return total
        total += _discard(stream, size)
        stream.readline()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, help="pin the sink to this core")
    args = parser.parse_args()
    if args.cpu is not None:  # before any thread starts: they inherit it
        os.sched_setaffinity(0, {args.cpu})
    sink = Sink(args.delay, args.port)
    print(sink.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sink.close()


if __name__ == "__main__":
    main()
