"""Issue 4 behaviour through the installed command and the sandbox: stdin, pre-flight
limits (with proof that nothing reached the server), batches with -j, and retries."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Sandbox, installed_pixup


def pixup(
    args: list[str], env: dict[str, str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [installed_pixup(), *args], env=env, input=stdin, capture_output=True, timeout=120
    )


def docs(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


@pytest.fixture
def env(box: Sandbox, clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, **box.env()}


# --- stdin --------------------------------------------------------------------------------


def test_stdin_upload_with_and_without_a_filename(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    data = png.read_bytes()
    result = pixup(["upload", "-", "-s", "imgly", "--json"], env, stdin=data)
    assert result.returncode == 0, result.stderr
    [doc] = docs(result)
    assert doc["file"] == "-"
    [upload] = box.uploads()
    assert (box.data_dir / upload["id"]).read_bytes() == data
    named = pixup(
        ["upload", "-", "--filename", "holiday.png", "--dry-run", "--json"], env, stdin=data
    )
    assert docs(named)[0]["request"]["files"][0]["filename"] == "holiday.png"  # type: ignore[index]
    unnamed = pixup(["upload", "-", "--dry-run", "--json"], env, stdin=data)
    assert docs(unnamed)[0]["request"]["files"][0]["filename"] == "stdin.png"  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "stdin", "code", "text"),
    [
        (["-"], b"", 4, "the file is empty"),
        (["-"], b"hello, not an image", 4, "found text"),
        (["-", "-"], b"x", 2, "'-' (standard input) can be given only once"),
        (["a.png", "--filename", "x.png"], b"", 2, "--filename names the upload read from '-'"),
    ],
)
def test_stdin_errors(
    box: Sandbox, env: dict[str, str], args: list[str], stdin: bytes, code: int, text: str
) -> None:
    result = pixup(["upload", *args], env, stdin=stdin)
    assert result.returncode == code
    assert text in result.stderr.decode()
    assert box.set_state()["attempts"] == 0


def test_closed_stdin_is_a_clear_error(box: Sandbox, env: dict[str, str]) -> None:
    result = subprocess.run(
        [installed_pixup(), "upload", "-", "--json"],
        env=env,
        capture_output=True,
        preexec_fn=lambda: os.close(0),
        timeout=60,
    )
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert b"standard input is closed" in result.stderr
    [doc] = docs(result)
    assert doc["error"]["kind"] == "usage"  # type: ignore[index]


def test_a_killed_run_leaves_no_copy_of_stdin(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    proc = subprocess.Popen(
        [installed_pixup(), "upload", "-"],
        env={**env, "TMPDIR": str(temp)},
        stdin=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    proc.stdin.write(png.read_bytes())
    proc.stdin.flush()
    box.set_state()  # a round trip: the copy is under way by now
    time.sleep(0.5)
    proc.kill()
    proc.wait(timeout=10)
    proc.stdin.close()
    assert list(temp.iterdir()) == []
    # And a run that ends normally sends the copy whole.
    result = pixup(["upload", "-", "--json"], {**env, "TMPDIR": str(temp)}, stdin=png.read_bytes())
    assert result.returncode == 0
    assert list(temp.iterdir()) == []


# --- pre-flight ---------------------------------------------------------------------------


def test_over_the_limit_is_refused_before_sending(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(png.read_bytes() + b"\0" * (4 * 1024 * 1024))
    result = pixup(["upload", str(big), "--json"], env)
    assert result.returncode == 4
    [doc] = docs(result)
    assert doc["error"]["message"].startswith(
        "the file is 4.0 MiB, over the service's limit of 4.0 MiB"
    )  # type: ignore[index]
    assert box.set_state()["attempts"] == 0
    # A self-hosted server with a higher limit: --max-size, or the config key.
    box.set_state(max_size=8 * 1024 * 1024)
    assert pixup(["upload", str(big), "--max-size", "8MB"], env).returncode == 0
    assert pixup(["config", "set", "twitrpix.max_size", "6M"], env).returncode == 0
    assert pixup(["upload", str(big)], env).returncode == 0
    assert pixup(["upload", str(big), "-s", "imgly"], env).returncode == 4  # its own limit
    assert len(box.uploads()) == 2


def test_bad_max_size_is_a_usage_error(env: dict[str, str], png: Path) -> None:
    result = pixup(["upload", str(png), "--max-size", "huge"], env)
    assert result.returncode == 2
    assert b"is not a size (e.g. 4MB, 500K, 1G)" in result.stderr


# --- batches ------------------------------------------------------------------------------


def test_batch_order_partial_failure_and_concurrency(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    box.set_state(delay=0.3, max_size=7000)
    files = []
    for i in range(8):
        f = tmp_path / f"img{i}.png"
        # File 3 passes pixup's checks but is over the server's (lowered) limit.
        f.write_bytes(png.read_bytes() + (b"\0" * 2000 if i == 3 else b""))
        files.append(f)
    files.insert(5, tmp_path / "missing.png")
    result = pixup(["upload", *map(str, files), "-j", "4", "--json"], env)
    assert result.returncode == 4
    out = docs(result)
    assert [d["file"] for d in out] == [str(f) for f in files]
    assert [d["ok"] for d in out] == [True, True, True, False, True, False, True, True, True]
    assert out[3]["error"]["code"] == 1004  # type: ignore[index]
    assert out[5]["error"]["message"] == "no such file"  # type: ignore[index]
    state = box.set_state()
    assert state["attempts"] == 8
    assert 2 <= state["max_in_flight"] <= 4
    assert len(box.uploads()) == 7


def test_j1_uploads_one_at_a_time(box: Sandbox, env: dict[str, str], png: Path) -> None:
    box.set_state(delay=0.1)
    assert pixup(["upload", str(png), str(png), str(png), "-j", "1", "-q"], env).returncode == 0
    assert box.set_state()["max_in_flight"] == 1


@pytest.mark.parametrize("jobs", ["0", "65"])
def test_jobs_out_of_range(env: dict[str, str], png: Path, jobs: str) -> None:
    result = pixup(["upload", str(png), "-j", jobs], env)
    assert result.returncode == 2
    assert b"-j/--jobs must be between 1 and 64" in result.stderr


# --- retries ------------------------------------------------------------------------------


def test_503_is_retried_and_then_succeeds(box: Sandbox, env: dict[str, str], png: Path) -> None:
    box.set_state(fail_next=2, retry_after="0")
    result = pixup(["upload", str(png), "--retries", "2", "--json"], env)
    assert result.returncode == 0, result.stderr
    assert box.set_state()["attempts"] == 3
    assert result.stderr.decode().count("trying again in 0.0s") == 2
    assert len(box.uploads()) == 1


def test_503_beyond_the_retries_is_a_server_error(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    box.set_state(fail_next=5, retry_after="0")
    result = pixup(["upload", str(png), "--retries", "1", "--json"], env)
    assert result.returncode == 6
    [doc] = docs(result)
    assert doc["error"]["http_status"] == 503  # type: ignore[index]
    assert box.set_state()["attempts"] == 2


def test_retry_after_is_honoured_and_a_long_one_is_not_waited_for(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    box.set_state(fail_next=1, retry_after="1")
    result = pixup(["upload", str(png)], env)
    assert result.returncode == 0
    assert "trying again in 1.0s" in result.stderr.decode()
    box.set_state(fail_next=1, retry_after="3600")
    result = pixup(["upload", str(png)], env)
    assert result.returncode == 6
    assert "it asks to retry after 3600s" in result.stderr.decode()


def test_a_refused_connection_is_retried(env: dict[str, str], png: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = pixup(
        ["upload", str(png), "--endpoint", f"http://127.0.0.1:{port}", "--retries", "2"], env
    )
    assert result.returncode == 5
    assert result.stderr.decode().count("trying again in") == 2


class _Resetter:
    """Accepts, reads the request head, then resets the connection: the body may have
    arrived, so pixup must not try again."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.recv(65536)
            conn.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            conn.close()


@pytest.fixture
def resetter() -> Iterator[_Resetter]:
    r = _Resetter()
    yield r
    r.sock.close()


def test_a_reset_after_sending_is_not_retried(
    resetter: _Resetter, env: dict[str, str], png: Path
) -> None:
    port = resetter.sock.getsockname()[1]
    result = pixup(
        ["upload", str(png), "--endpoint", f"http://127.0.0.1:{port}", "--retries", "3", "--post"],
        env,
    )
    assert result.returncode == 5
    assert b"trying again" not in result.stderr
    assert resetter.connections == 1


def test_ctrl_c_stops_cleanly(box: Sandbox, env: dict[str, str], png: Path) -> None:
    import signal
    import time

    box.set_state(delay=0.5)
    proc = subprocess.Popen(
        [installed_pixup(), "upload", *[str(png)] * 10, "-j", "1", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,  # read a line, then communicate(): a buffered reader would keep the rest
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # one upload has finished
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert json.loads(first)["ok"] is True
    assert b"pixup: error: interrupted:" in err
    assert b"Traceback" not in err
    time.sleep(0.6)
    assert box.set_state()["attempts"] < 10


def test_a_bug_met_on_one_file_does_not_stop_the_others(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    # A file name with bytes that are not UTF-8 cannot go into a multipart header: that
    # file fails, alone, in one line; the file after it is uploaded and reported.
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.png"))
    odd.write_bytes(png.read_bytes())
    result = pixup(["upload", str(odd), str(png), "--json"], env)
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr
    first, second = docs(result)
    assert first["ok"] is False and first["error"]["kind"] == "internal"  # type: ignore[index]
    assert first["file"] == str(odd)  # valid UTF-8 on stdout, the name escaped
    assert second["ok"] is True and second["file"] == str(png)
    assert [u["service"] for u in box.uploads()] == ["twitrpix"]
    assert len(result.stderr.decode().strip().splitlines()) == 1


def test_ctrl_c_reports_and_records_every_upload_that_reached_the_server(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    import signal
    import time

    box.set_state(delay=1.0)
    proc = subprocess.Popen(
        [installed_pixup(), "upload", *[str(png)] * 8, "-j", "2", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,  # read a line, then communicate(): a buffered reader would keep the rest
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first upload has finished; others are under way
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    lines = [json.loads(line) for line in (first + rest).decode().splitlines()]
    assert len(lines) == 8  # every file is accounted for, in order
    sent = [d for d in lines if d["ok"]]
    not_sent = [d for d in lines if not d["ok"]]
    assert all(d["error"]["kind"] == "interrupted" for d in not_sent)  # type: ignore[index]
    assert not_sent, "the test needs files that were not started"
    assert lines[: len(sent)] == sent  # the sent ones come first, as they were given
    time.sleep(1.2)  # nothing still in flight on the server side
    assert len(box.uploads()) == len(sent)  # what reached the server is what was reported
    history = pixup(["history", "--json", "--limit", "50"], env)
    assert len(docs(history)) == len(sent)
    assert b"Traceback" not in err and b"not started" in err


def test_a_second_ctrl_c_abandons_at_once_and_names_what_was_under_way(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    import signal

    files = []
    for i in range(4):
        files.append(tmp_path / f"photo-{i}.png")
        files[-1].write_bytes(png.read_bytes() + bytes([i]))
    box.set_state(delay=3.0)
    proc = subprocess.Popen(
        [installed_pixup(), "upload", *map(str, files), "-j", "2", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,  # read a line, then communicate(): a buffered reader would keep the rest
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 20
    while box.set_state()["attempts"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # both workers' uploads have reached the server
    proc.send_signal(signal.SIGINT)
    said = proc.stderr.readline().decode()
    assert f"waiting for 2 upload(s) under way (Ctrl-C again abandons them): {files[0]}" in said
    proc.send_signal(signal.SIGINT)
    abandoned_at = time.monotonic()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert time.monotonic() - abandoned_at < 2.5  # not the 3 s the server takes
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert [d["file"] for d in lines] == [str(f) for f in files]  # one line each, in order
    messages = [d["error"]["message"] for d in lines]
    assert all("may have reached the server" in m for m in messages[:2])
    assert all("not sent" in m for m in messages[2:])
    assert f"unrecorded: {files[0]}, {files[1]}" in err.decode()
    assert b"Traceback" not in err
    time.sleep(max(0.0, abandoned_at + 3.5 - time.monotonic()))  # let the server finish


def test_pixup_debug_shows_the_traceback_of_such_a_bug(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.png"))
    odd.write_bytes(png.read_bytes())
    result = pixup(["upload", str(odd)], {**env, "PIXUP_DEBUG": "1"})
    assert result.returncode == 1
    assert b"Traceback" in result.stderr and b"UnicodeEncodeError" in result.stderr


def test_what_is_checked_is_what_is_sent_on_every_attempt(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    # The path is re-pointed while pixup waits to retry a 503: the retry still sends the
    # file pre-flight opened and checked, and the ledger has that file's digest.
    original = png.read_bytes()
    other = tmp_path / "other.png"
    other.write_bytes(original + b"not the file that was checked" * 100)
    link = tmp_path / "photo.png"
    link.symlink_to(png)
    box.set_state(fail_next=1, retry_after="2")
    proc = subprocess.Popen(
        [installed_pixup(), "upload", str(link), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,  # read a line, then communicate(): a buffered reader would keep the rest
    )
    assert proc.stderr is not None
    assert b"trying again" in proc.stderr.readline()
    link.unlink()
    link.symlink_to(other)
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    [stored] = box.uploads()
    assert (box.data_dir / stored["id"]).read_bytes() == original
    [record] = docs(pixup(["history", "--json"], env))
    assert record["sha256"] == hashlib.sha256(original).hexdigest()
