"""Servers that misbehave, over real loopback HTTP: pixup must not hang, must not follow
an upload elsewhere, and must stop reading an answer that is too large."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import FIXTURES, installed_pixup, keyring_file

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
        b'{"response":{"media":{"url":"http://x.example/pic","id":"\\u009b2J\\u202eid"},'
        b'"user":{"screen_name":"\\u001b]0;pwned\\u0007bob"}}}',
    ),
    "jsdelete": (
        200,
        "application/json",
        b'{"url":"http://x.example/pic","del":"javascript:fetch(1)"}',
    ),
    # What a backtracking pattern ("(a+)+$") needs to run for ever.
    "backtrack": (200, "text/plain", b"a" * 5000 + b"!"),
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


# Answers that arrive a few bytes at a time, never complete: each read succeeds quickly,
# so only a deadline on the whole answer can end them.
DRIPS: dict[str, tuple[bytes, bytes]] = {
    "dripstatus": (b"", b"HTTP/1.1 200 OK"),
    "dripheaders": (b"HTTP/1.1 200 OK\r\n", b"X-Pad: aaaaaaaaaa\r\n"),
    "continue": (b"", b"HTTP/1.1 100 Continue\r\n\r\n"),
}
CANNED["ok"] = (
    200,
    "application/json",
    b'{"response":{"media":{"url":"http://x.example/ok1","id":"ok1"}},"url":"http://x.example/ok1"}',
)


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
        # As a proxy it is asked for absolute URLs: the mode is the path's first part.
        mode = urllib.parse.urlsplit(self.path).path.split("/")[1]
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
        if mode in DRIPS:  # bounded: 20 s at most, pixup stops far sooner
            self._drain()
            self._trickle(*DRIPS[mode])
            return
        if mode == "stall":  # takes the request line and headers, then reads nothing
            time.sleep(20)
            return
        if mode == "steady":  # reads the body slowly, but without a pause as long as 1 s
            length = int(self.headers.get("Content-Length") or 0)
            while length > 0:
                length -= len(self.rfile.read(min(length, 512 * 1024)))
                if length:  # the answer itself is not slow: once all is read, at once
                    time.sleep(0.2)
            status, ctype, payload = CANNED["ok"]
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if mode == "echoall":  # puts the request line, headers and body in its answer
            length = int(self.headers.get("Content-Length") or 0)
            seen = f"{self.requestline}\n{self.headers}\n" + self.rfile.read(length).decode(
                "latin-1"
            )
            msg = json.dumps({"error": seen[:1800]}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
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
        if mode.startswith("badurl-"):
            url = json.dumps(BAD_URLS[int(mode.split("-")[1])])
            CANNED[mode] = (
                200,
                "application/json",
                b'{"response":{"media":{"url":%s}}}' % url.encode(),
            )
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

    def _trickle(self, head: bytes, repeat: bytes) -> None:
        """Send ``head`` then ``repeat`` over and over, a few bytes at a time."""
        stream = head + repeat * 1000
        try:
            for at in range(0, min(len(stream), 400), 4):
                self.wfile.write(stream[at : at + 4])
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, dict[str, str]]]


@pytest.fixture
def hostile() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler, bind_and_activate=False)
    # A small receive buffer, as on a slow line: what the server has not read yet waits
    # in pixup's send queue, not in the server's kernel.
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    server.server_bind()
    server.server_activate()
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
    assert "no complete answer from" in json.loads(result.stdout)["error"]["message"]
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


def test_proxies_come_from_the_environment_and_netrc_is_never_read(
    hostile: _Server, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    proxy = f"http://127.0.0.1:{hostile.server_port}"
    base = "http://pics.example.invalid/ok"
    args = ["upload", str(png), str(png), "--endpoint", base, "--allow-insecure-http"]
    proxied = {**env, "http_proxy": proxy, "HTTP_PROXY": proxy, "no_proxy": "", "NO_PROXY": ""}
    result, _ = _run([*args, "--retries", "0"], proxied)
    assert result.returncode == 0, result.stderr
    # Both files through the proxy, asked for by their absolute URL.
    assert [path for path, _ in hostile.seen] == [f"{base}/1/upload.json"] * 2
    # NO_PROXY names the host: pixup goes direct (and the made-up host does not resolve).
    bypass = {**proxied, "no_proxy": "pics.example.invalid", "NO_PROXY": "pics.example.invalid"}
    direct, _ = _run([*args, "--retries", "0"], bypass)
    assert direct.returncode == 5
    assert len(hostile.seen) == 2
    # A ~/.netrc entry for the host is not sent along (requests would add it as Basic).
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text("machine 127.0.0.1 login someone password netrc-secret-1\n")
    (home / ".netrc").chmod(0o600)
    plain = {k: v for k, v in env.items() if "proxy" not in k.lower()}
    local, _ = _run(["upload", str(png), "--endpoint", proxy + "/ok"], {**plain, "HOME": str(home)})
    assert local.returncode == 0, local.stderr
    assert "Authorization" not in hostile.seen[-1][1]


def _with_hosts(hosts: Path) -> list[str] | None:
    """A prefix that runs a command with ``hosts`` as its /etc/hosts (a private mount
    namespace; root only), or None where that cannot be done."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        return None
    prefix = [
        unshare,
        "--mount",
        "sh",
        "-c",
        f'mount --bind "{hosts}" /etc/hosts && exec "$@"',
        "sh",
    ]
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30)
    return prefix if probe.returncode == 0 else None


def test_localhost_names_are_loopback_only_when_they_resolve_there(
    env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    def dry_run(host: str, prefix: list[str]) -> subprocess.CompletedProcess[str]:
        args = ["upload", str(png), "--dry-run", "--endpoint", f"http://{host}:8080"]
        return subprocess.run(
            [*prefix, installed_pixup(), *args], env=env, capture_output=True, text=True, timeout=60
        )

    for host in ("localhost", "127.0.0.1", "[::1]"):
        assert dry_run(host, []).returncode == 0, host
    unresolved = dry_run("nowhere-at-all.localhost", [])
    assert unresolved.returncode == 2
    assert "refusing to send credentials to nowhere-at-all.localhost" in unresolved.stderr
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost good.localhost\n10.1.2.3 evil.localhost\n")
    prefix = _with_hosts(hosts)
    if prefix is None:
        pytest.skip("cannot give a process its own /etc/hosts here (needs root and unshare)")
    assert dry_run("good.localhost", prefix).returncode == 0
    evil = dry_run("evil.localhost", prefix)
    assert evil.returncode == 2
    assert "refusing to send credentials to evil.localhost" in evil.stderr


@pytest.mark.parametrize(
    ("mode", "code", "kind", "text"),
    [
        ("bomb", 6, "server", "refuses to parse"),
        ("xxe", 6, "server", "refuses to parse"),
        ("html502", 6, "server", "HTTP 502: 502 Bad Gateway nginx"),
        ("empty", 6, "server", "empty body"),
        ("truncated", 6, "server", "malformed JSON"),
        ("shape", 6, "server", "no media URL"),
        ("types", 6, "server", "not a usable URL"),  # a number where a URL is expected
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
    for unsafe in UNSAFE:
        assert unsafe not in shown
    assert ("pic" in result.stdout) if mode == "ansi" else ("red" in result.stderr)
    as_json, _ = _run(["upload", str(png), "--endpoint", base, "--json"], env)
    for unsafe in UNSAFE:  # JSON escapes C0 itself; C1 and bidi pixup escapes
        assert unsafe not in as_json.stdout
    doc = json.loads(as_json.stdout)
    if mode == "ansi":  # escaped visibly where the answer entered: the ledger holds no controls
        assert doc["user"]["screen_name"] == "\\x1b]0;pwned\\x07bob"
        assert doc["media"]["id"] == "\\x9b2J\\u202eid"
    replayed, _ = _run(["history"], env)
    replayed_json, _ = _run(["history", "--json"], env)
    for unsafe in UNSAFE:
        assert unsafe not in replayed.stdout + replayed.stderr
        assert all(unsafe not in value for value in _strings(replayed_json.stdout))


UNSAFE = ("\x1b", "\x07", "\x9b", "\u202e")


def _strings(ndjson: str) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for line in ndjson.splitlines():
        walk(json.loads(line))
    return found


BAD_URLS = [
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/html,<script>x</script>",
    "http://x.example/a\nhttp://forged.example/b",
    "http://x.example/\u001b]52;c;SGVsbG8=\u0007",
    "http://x.example/\u009b2J",
    "/relative/pic",
    "http:///no-host",
]


@pytest.mark.parametrize("index", range(len(BAD_URLS)))
def test_a_media_url_that_is_not_a_web_address_is_refused_and_recorded(
    hostile: _Server, env: dict[str, str], png: Path, index: int
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/badurl-{index}"
    result, _ = _run(["upload", str(png), "--endpoint", base, "--json"], env)
    assert result.returncode == 6, result.stderr
    [line] = result.stdout.splitlines()  # one line for one file, whatever the URL held
    doc = json.loads(line)
    assert doc["error"]["kind"] == "server"
    assert "media URL is not a usable URL" in doc["error"]["message"]
    for unsafe in UNSAFE:
        assert unsafe not in result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1
    history, _ = _run(["history", "--failed", "--json"], env)
    [row] = [json.loads(line) for line in history.stdout.splitlines()]
    assert row["http_status"] == 200  # it reached the server: recorded


@pytest.mark.parametrize("pattern", ["(a+)+$", "(aa?)+$", "(a+a+)+$"])
def test_a_backtracking_regex_in_a_template_is_given_up(
    hostile: _Server, env: dict[str, str], png: Path, tmp_path: Path, pattern: str
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/backtrack"
    name = _sxcu(tmp_path, env, base + "/up", URL="http://x.example/{regex:" + pattern + "}")
    result, took = _run(["upload", str(png), "-s", name, "--json"], env)
    assert result.returncode == 6, result.stderr
    message = json.loads(result.stdout)["error"]["message"]
    assert f"regular expression {pattern!r} took more than" in message
    assert took < 15  # re would run for the age of the universe
    history, _ = _run(["history", "--failed", "--json"], env)
    assert [json.loads(line)["http_status"] for line in history.stdout.splitlines()] == [200]


def test_a_custom_providers_deletion_url_must_be_a_web_address(
    hostile: _Server, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/jsdelete"
    name = _sxcu(tmp_path, env, base + "/up", DeletionURL="{json:del}")
    result, _ = _run(["upload", str(png), "-s", name, "--json"], env)
    assert result.returncode == 6, result.stderr
    assert "deletion URL is not a usable URL" in json.loads(result.stdout)["error"]["message"]


def _sxcu(tmp_path: Path, env: dict[str, str], url: str, **more: object) -> str:
    path = tmp_path / "hostile.sxcu"
    path.write_text(
        json.dumps(
            {
                "Version": "15.0.0",
                "Name": "hostile",
                "RequestURL": url,
                "Body": "MultipartFormData",
                "FileFormName": "f",
                "URL": "{json:url}",
                **more,
            }
        )
    )
    added = subprocess.run(
        [installed_pixup(), "provider", "add", str(path)], env=env, capture_output=True, text=True
    )
    assert added.returncode == 0, added.stderr
    return "hostile"


def _command(kind: str, base: str, png: Path, tmp_path: Path, env: dict[str, str]) -> list[str]:
    """The pixup command line of ``kind`` aimed at ``base``, with a 1 s timeout."""
    if kind == "upload":
        return ["upload", str(png), "--endpoint", base, "--timeout", "1", "--json"]
    if kind == "batch":  # -j 8: every file has its own deadline, all of them run at once
        return [
            "upload",
            *[str(png)] * 8,
            "-j",
            "8",
            "--endpoint",
            base,
            "--timeout",
            "1",
            "--json",
        ]
    if kind == "ping":
        return ["ping", "--endpoint", base, "--timeout", "1", "--json"]
    if kind == "custom":
        name = _sxcu(tmp_path, env, base + "/up")
        return ["upload", str(png), "-s", name, "--timeout", "1", "--json"]
    assert kind == "login"
    env.update(SANDBOX.urls(base), PIXUP_TIMEOUT="1")
    return ["config", "login", "--token", SANDBOX.token, "--token-secret-stdin", "--json"]


@pytest.mark.parametrize(
    ("kind", "mode"),
    [
        ("upload", "dripstatus"),
        ("upload", "dripheaders"),
        ("upload", "continue"),
        ("batch", "dripheaders"),
        ("ping", "continue"),
        ("ping", "dripstatus"),
        ("custom", "continue"),
        ("login", "dripheaders"),
    ],
)
def test_an_answer_that_never_completes_ends_at_the_deadline(
    hostile: _Server,
    env: dict[str, str],
    png: Path,
    tmp_path: Path,
    kind: str,
    mode: str,
) -> None:
    """Status line, headers or endless 100 Continue, dripped: every read succeeds, so
    only a deadline on the whole answer ends it: exit 5 within the timeout."""
    base = f"http://127.0.0.1:{hostile.server_port}/{mode}"
    args = _command(kind, base, png, tmp_path, env)
    started = time.monotonic()
    result = subprocess.run(
        [installed_pixup(), *args],
        env=env,
        input=SANDBOX.token_secret + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - started
    assert result.returncode == 5, result.stderr
    assert took < 4.5, took  # the server would go on for 20 s
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == (8 if kind == "batch" else 1)
    for doc in lines:
        assert doc["ok"] is False and doc["error"]["kind"] == "network", doc
        assert "no complete answer from" in doc["error"]["message"]
        assert "within 1s" in doc["error"]["message"]
    assert "Traceback" not in result.stderr
    assert keyring_file(env) == {}  # a login that never verified stores nothing


@pytest.fixture
def big_png(tmp_path: Path) -> Path:
    """A 12 MB file that starts as a PNG: far more than the kernel's socket buffers."""
    path = tmp_path / "big.png"
    with path.open("wb") as out:
        out.write((FIXTURES / "sample.png").read_bytes())
        out.truncate(12 * 1024 * 1024)
    return path


def test_an_upload_the_server_stops_taking_ends_after_the_timeout(
    hostile: _Server, env: dict[str, str], big_png: Path
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/stall"
    args = ["upload", str(big_png), "--endpoint", base, "--timeout", "1", "--json"]
    result, took = _run([*args, "--max-size", "100MB"], env)
    assert result.returncode == 5, result.stderr
    assert took < 5, took  # the server would hold it for 20 s
    message = json.loads(result.stdout)["error"]["message"]
    assert "stalled: the server took nothing for 1s" in message
    assert len(hostile.seen) == 1  # something was sent: never retried


def test_a_slow_but_steady_upload_outlasts_the_timeout(
    hostile: _Server, env: dict[str, str], big_png: Path
) -> None:
    base = f"http://127.0.0.1:{hostile.server_port}/steady"
    args = ["upload", str(big_png), "--endpoint", base, "--timeout", "1.5", "--json"]
    result, took = _run([*args, "--max-size", "100MB"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert took > 3, took  # twice the timeout (it takes ~4.8 s), and it still went on
    assert json.loads(result.stdout)["ok"] is True


# A key with the characters percent-encoding and base64 change, and a Basic password.
KEY = "Ab+cd/EF=gh12+ij"
PASSWORD = "pw/secret+9="


def _forms(secret: str) -> list[str]:
    import base64
    from urllib.parse import quote, quote_plus

    raw = secret.encode()
    return [
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        base64.b64encode(raw).decode(),
        base64.b64encode(f"alice:{secret}".encode()).decode(),
    ]


@pytest.mark.parametrize("flags", [["-v"], ["--dry-run"], ["--json", "-v"]])
def test_secrets_are_redacted_in_every_form_they_travel_in(
    hostile: _Server, env: dict[str, str], png: Path, tmp_path: Path, flags: list[str]
) -> None:
    """A server that echoes the whole request: the key percent-encoded in the query, the
    Basic header's base64 of user:password; none of it may be shown or recorded."""
    base = f"http://127.0.0.1:{hostile.server_port}/echoall"
    name = _sxcu(
        tmp_path,
        env,
        base + "/up",
        Parameters={"key": KEY},
        Headers={"Authorization": f"Basic {{base64:alice:{PASSWORD}}}"},
    )
    result, _ = _run(["upload", str(png), "-s", name, *flags], env)
    assert result.returncode == (0 if "--dry-run" in flags else 4), result.stderr
    history, _ = _run(["history", "--json"], env)
    written = result.stdout + result.stderr + history.stdout
    if "--dry-run" not in flags:
        assert hostile.seen and "key=" in hostile.seen[0][0]  # it did travel, encoded
        assert "POST /echoall/up?key=" in result.stderr  # and the echo was shown, redacted
    for secret in (KEY, PASSWORD):
        for form in _forms(secret):
            assert form not in written, form
    config = Path(env["PIXUP_CONFIG_DIR"])
    for path in config.rglob("*"):
        if path.is_file():
            assert all(form not in path.read_text() for form in _forms(KEY) + _forms(PASSWORD))


def test_a_short_secret_redacts_whole_tokens_only() -> None:
    from pixup.output import Output

    out = Output()
    out.add_secrets(["wrong"])
    assert out.redact("wrong_developer_key: wrong") == "wrong_developer_key: ***"
    assert out.redact("key=wrong&x=1") == "key=***&x=1"


def test_no_secret_redacts_nothing() -> None:
    from pixup.output import Output

    out = Output()
    out.add_secrets(["ab"])  # too short to be a secret: ignored, not an empty pattern
    assert out.redact("http://127.0.0.1:1/x") == "http://127.0.0.1:1/x"
