"""Bad input from the user and a TLS endpoint with a certificate nobody vouches for: each
ends in one line on stderr and the documented exit code, with nothing sent."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import Sandbox, installed_pixup


def pixup(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_pixup(), *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def env(box: Sandbox, clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, **box.env()}


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("pixup: warning")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_fifo_and_symlink_loop_are_refused_without_blocking(
    box: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    for path, text in ((fifo, "not a regular file"), (loop, "Too many levels of symbolic links")):
        result = pixup(["upload", str(path)], env)
        assert result.returncode == 4
        assert text in one_line(result)
    assert box.set_state()["attempts"] == 0


def test_a_png_named_jpg_is_sent_as_what_it_is(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    renamed = tmp_path / "photo.jpg"
    shutil.copy(png, renamed)
    result = pixup(["upload", str(renamed), "--dry-run", "--json"], env)
    part = json.loads(result.stdout)["request"]["files"][0]
    assert (part["filename"], part["content_type"]) == ("photo.jpg", "image/png")
    assert pixup(["upload", str(renamed), "-s", "imgly"], env).returncode == 0
    assert box.uploads()[0]["content_type"] == "image/png"


def test_an_unwritable_config_directory(clean_env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    env = {**clean_env, "PIXUP_CONFIG_DIR": str(blocker / "pixup")}
    result = pixup(["config", "set", "service", "imgly"], env)
    assert result.returncode == 2
    assert "cannot create the config directory" in one_line(result)
    assert blocker.read_text() == "not a directory"


def test_no_home_still_works(clean_env: dict[str, str], png: Path) -> None:
    env = {k: v for k, v in clean_env.items() if k not in ("HOME", "PIXUP_CONFIG_DIR")}
    result = pixup(["config", "path"], env)
    assert result.returncode == 0
    assert result.stdout.strip().endswith("config.toml")
    assert (
        pixup(["thumb-url", "3de", "-s", "imgly"], env).stdout == "http://img.ly/show/thumb/3de\n"
    )


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, list[str]]]:
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed, so no certificate can be made for the TLS test")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, seen
    server.shutdown()
    server.server_close()


def test_a_certificate_nobody_vouches_for_is_refused(
    tls_server: tuple[int, list[str]], env: dict[str, str], png: Path
) -> None:
    port, seen = tls_server
    result = pixup(["upload", str(png), "--endpoint", f"https://127.0.0.1:{port}", "--json"], env)
    assert result.returncode == 5
    assert "certificate could not be verified" in one_line(result)
    assert json.loads(result.stdout)["error"]["kind"] == "network"
    assert seen == []


def _without_root_powers() -> list[str]:
    """A prefix that runs a command unable to read a mode-000 file: none for a user;
    for root, the capabilities that override file modes dropped (setpriv, util-linux)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a mode-000 file stays readable")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_an_unreadable_file_is_that_files_failure(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    locked = tmp_path / "locked.png"
    shutil.copy(png, locked)
    locked.chmod(0)
    result = subprocess.run(
        [*_without_root_powers(), installed_pixup(), "upload", str(locked), str(png), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["file"] == str(locked)
    assert first["error"]["kind"] == "rejected"
    assert "Permission denied" in first["error"]["message"]
    assert second["ok"] is True
    assert len(box.uploads()) == 1


@pytest.mark.parametrize("value", ["inf", "nan", "1e400", "-1"])
def test_a_bad_keyring_timeout_is_one_clear_line(clean_env: dict[str, str], value: str) -> None:
    result = pixup(["config", "status"], {**clean_env, "PIXUP_KEYRING_TIMEOUT": value})
    assert result.returncode == 2
    assert "bad value for PIXUP_KEYRING_TIMEOUT" in one_line(result)
