"""Servers that misbehave, over real loopback HTTP: pixup must not hang, must not follow
an upload elsewhere, and must stop reading an answer that is too large."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import installed_pixup

from pixup.sandbox.accounts import SANDBOX

CANNED: dict[str, tuple[int, str, bytes]] = {
    "bomb": (
        200,
        "application/xml",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;'
        b'&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><response><media>'
        b"<url>&c;</url></media></response>",
    ),
    "xxe": (
        200,
        "application/xml",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<response><media><url>&x;</url></media></response>",
    ),
    "html502": (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"),
    "empty": (200, "application/json", b""),
    "truncated": (200, "application/json", b'{"response": {"media": {"url": "http://x/'),
    "shape": (200, "application/json", b'{"response": ["media", "user"]}'),
    "types": (200, "application/json", b'{"response": {"media": {"url": 42, "id": {"a": 1}}}}'),
    "fail200": (
        200,
        "application/json",
        b'{"response":{"status":"fail","error":{"code":1003,"msg":"no"}}}',
    ),
    "ok400": (400, "application/json", b'{"response":{"media":{"url":"http://twitrpix.com/x"}}}'),
    "latin1": (200, "application/json", b'{"response": {"media": {"url": "caf\xe9"}}}'),
    # Nested far deeper than Python's recursion limit, and under the 1 MB answer cap.
    "deep": (200, "application/json", b"[" * 300_000 + b"]" * 300_000),
    "deepxml": (200, "application/xml", b"<a>" * 60_000 + b"</a>" * 60_000),
    # Terminal control sequences in the URL, the user and an error: clear screen, set the
    # window title, a bidirectional override.
    "ansi": (
        200,
        "application/json",
        b'{"response":{"media":{"url":"http://x.example/\\u001b[2Jpic\\u202e"},'
        b'"user":{"screen_name":"\\u001b]0;pwned\\u0007bob"}}}',
    ),
    "ansierr": (
        400,
        "application/json",
        b'{"response":{"status":"fail","error":{"code":1003,"msg":"no\\u001b[31m red"}}}',
    ),
    # An error code of 30 digits: more than SQLite's 64-bit integers hold.
    "hugecode": (
        400,
        "application/json",
        b'{"response":{"status":"fail","error":{"code":123456789012345678901234567890,'
        b'"msg":"odd"}}}',
    ),
    "unknown": (
        400,
        "application/json",
        b'{"response":{"status":"fail","error":{"code":77,"msg":"odd"}}}',
    ),
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            length -= len(self.rfile.read(min(length, 65536)))

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        self.server.seen.append((self.path, dict(self.headers)))
        mode = self.path.split("/")[1]
        if mode == "hang":
            time.sleep(6)
            return
        if mode == "drip":
            self._drain()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(40):  # bounded: 20 s at most
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                pass
            return
        if mode == "echo":  # a server that puts what it was sent into its error message
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("latin-1")
            msg = json.dumps(
                {"response": {"status": "fail", "error": {"code": 1001, "msg": body[:1500]}}}
            )
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg.encode())
            return
        self._drain()
        if mode in CANNED:
            status, ctype, payload = CANNED[mode]
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        elif mode == "redirect":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/evil")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(5 * 1024**3))
            self.end_headers()
            self.wfile.write(b"{" * 1024)
        elif mode == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                for _ in range(10_000):  # bounded: 640 MB at most, pixup stops far sooner
                    self.wfile.write(b"[" * 65536)
            except OSError:
                pass
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, dict[str, str]]]


@pytest.fixture
def hostile() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _run(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [installed_pixup(), *args], env=env, capture_output=True, text=True, timeout=60
    )
    return result, time.monotonic() - started


@pytest.fixture
def env(clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, **SANDBOX.environment("http://unused.invalid")}


def test_a_server_that_never_answers_ends_in_the_timeout(
    hostile: _Server, env: dict[str, str], png: Path
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/hang"
    result, took = _run(["upload", str(png), "--endpoint", base, "--timeout", "1", "--json"], env)
    assert result.returncode == 5
    assert took < 5
    doc = json.loads(result.stdout)
    assert doc["error"]["kind"] == "network"
    assert "within 1s" in doc["error"]["message"]


@pytest.mark.parametrize("api", ["1", "2"])
def test_an_upload_is_never_followed_to_a_redirect(
    hostile: _Server, env: dict[str, str], png: Path, api: str
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/redirect"
    result, _ = _run(["upload", str(png), "--endpoint", base, "--api", api], env)
    assert result.returncode == 6
    assert "redirected the upload to" in result.stderr
    assert [path for path, _ in hostile.seen] == [f"/redirect/{api}/upload.json"]


@pytest.mark.parametrize("mode", ["huge", "endless"])
def test_an_oversized_answer_is_not_read_whole(
    hostile: _Server, env: dict[str, str], png: Path, mode: str
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/{mode}"
    result, took = _run(["upload", str(png), "--endpoint", base, "--timeout", "10"], env)
    assert result.returncode == 6
    assert "1,000,000" in result.stderr
    assert took < 20


def test_a_closed_pipe_is_not_a_traceback(png: Path, env: dict[str, str], tmp_path: Path) -> None:
    # `pixup ... | head -c 0`: the reader is gone before pixup writes.
    script = f"'{installed_pixup()}' thumb-url 3de -s imgly | head -c 0"
    result = subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert "Traceback" not in result.stderr


def test_an_answer_dripped_a_byte_at_a_time_ends_in_the_timeout(
    hostile: _Server, env: dict[str, str], png: Path
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/drip"
    result, took = _run(["upload", str(png), "--endpoint", base, "--timeout", "2", "--json"], env)
    assert result.returncode == 5
    assert took < 8
    assert "did not arrive within 2s" in json.loads(result.stdout)["error"]["message"]
    assert len(hostile.seen) == 1  # a read timeout is never retried


def test_plain_http_to_another_host_needs_an_opt_in(env: dict[str, str], png: Path) -> None:
    result, _ = _run(["upload", str(png), "--endpoint", "http://pics.example.org", "--json"], env)
    assert result.returncode == 2
    assert "refusing to send credentials to pics.example.org over plain http://" in result.stderr
    # Opted in, it goes ahead (and fails to resolve the made-up host, as it should).
    opted, _ = _run(
        [
            "upload",
            str(png),
            "--endpoint",
            "http://pics.example.invalid",
            "--allow-insecure-http",
            "--retries",
            "0",
        ],
        env,
    )
    assert opted.returncode == 5
    # The services' own defaults are plain HTTP and allowed; secrets in form fields warn once.
    dry, _ = _run(
        [
            "upload",
            str(png),
            str(png),
            "-s",
            "imgly",
            "--api",
            "1",
            "--dry-run",
            "--endpoint",
            "http://img.ly",
        ],
        env,
    )
    assert dry.returncode == 0
    assert "refusing" not in dry.stderr


@pytest.mark.parametrize(
    ("mode", "code", "kind", "text"),
    [
        ("bomb", 6, "server", "refuses to parse"),
        ("xxe", 6, "server", "refuses to parse"),
        ("html502", 6, "server", "HTTP 502: 502 Bad Gateway nginx"),
        ("empty", 6, "server", "empty body"),
        ("truncated", 6, "server", "malformed JSON"),
        ("shape", 6, "server", "no media URL"),
        ("types", 0, None, None),  # a number where a URL is expected is taken as its text
        ("fail200", 4, "rejected", "no (error 1003)"),
        ("ok400", 6, "server", "HTTP 400 with a success body"),
        ("latin1", 6, "server", "not UTF-8"),
        ("unknown", 4, "rejected", "odd (error 77)"),
        ("hugecode", 4, "rejected", "odd (error code 123456789012345678901234567890)"),
        ("deep", 6, "server", "JSON nested too deeply"),
        ("deepxml", 6, "server", "XML nested too deeply"),
        ("echo", 3, "auth", "***"),
    ],
)
def test_hostile_answers_end_cleanly_without_leaking(
    hostile: _Server,
    env: dict[str, str],
    png: Path,
    mode: str,
    code: int,
    kind: str | None,
    text: str | None,
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/{mode}"
    result, _ = _run(["upload", str(png), "--endpoint", base, "--json", "-v"], env)
    assert result.returncode == code, result.stderr
    doc = json.loads(result.stdout)
    assert "Traceback" not in result.stderr
    if kind is not None:
        assert doc["error"]["kind"] == kind
        assert text in doc["error"]["message"]
        errors = [line for line in result.stderr.splitlines() if line.startswith("pixup: error:")]
        assert len(errors) == 1
    for secret in (
        SANDBOX.api_key,
        SANDBOX.consumer_secret,
        SANDBOX.token,
        SANDBOX.token_secret,
    ):
        assert secret not in result.stdout + result.stderr


def test_a_too_deep_answer_fails_each_file_and_each_is_recorded(
    hostile: _Server, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    # Nesting deeper than a parser can take is the service's failure, file by file: every
    # file is reported, and each answered upload is recorded.
    other = tmp_path / "b.png"
    other.write_bytes(png.read_bytes())
    base = f"http://127.0.0.1:{hostile.server_port}/deep"
    result, _ = _run(["upload", str(png), str(other), "--endpoint", base, "-j", "2", "--json"], env)
    assert result.returncode == 6
    assert "Traceback" not in result.stderr
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["file"] for d in docs] == [str(png), str(other)]
    assert [d["error"]["kind"] for d in docs] == ["server", "server"]
    assert "nested too deeply" in docs[0]["error"]["message"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("pixup: error:")]
    assert len(errors) == 2
    history, _ = _run(["history", "--failed", "--json"], env)
    rows = [json.loads(line) for line in history.stdout.splitlines()]
    assert sorted(r["file"] for r in rows) == sorted([str(png), str(other)])
    assert {(r["error_kind"], r["http_status"]) for r in rows} == {("server", 200)}


def test_a_huge_error_code_is_recorded_not_a_crash(
    hostile: _Server, env: dict[str, str], png: Path
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/hugecode"
    result, _ = _run(["upload", str(png), str(png), "--endpoint", base, "-j", "1"], env)
    assert result.returncode == 4
    assert "internal error" not in result.stderr
    history, _ = _run(["history", "--failed", "--json"], env)
    rows = [json.loads(line) for line in history.stdout.splitlines()]
    assert len(rows) == 2
    assert all("123456789012345678901234567890" in r["error_message"] for r in rows)


@pytest.mark.parametrize("mode", ["ansi", "ansierr"])
@pytest.mark.parametrize("flags", [[], ["-v"]])
def test_control_sequences_from_a_server_never_reach_the_terminal(
    hostile: _Server, env: dict[str, str], png: Path, mode: str, flags: list[str]
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/{mode}"
    result, _ = _run(["upload", str(png), "--endpoint", base, *flags], env)
    assert result.returncode == (0 if mode == "ansi" else 4), result.stderr
    shown = result.stdout + result.stderr
    for unsafe in ("\x1b", "\x07", "\u202e"):
        assert unsafe not in shown
    assert ("pic" in result.stdout) if mode == "ansi" else ("red" in result.stderr)
    # --json keeps the server's text exactly, escaped by JSON itself.
    as_json, _ = _run(["upload", str(png), "--endpoint", base, "--json"], env)
    assert "\x1b" not in as_json.stdout
    doc = json.loads(as_json.stdout)
    text = doc["media"]["url"] if mode == "ansi" else doc["error"]["message"]
    assert "\x1b" in text or mode == "ansierr"
