"""The installed `pixup` command, run as a user runs it, against the sandbox process."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest
from conftest import Sandbox, installed_pixup

from pixup.sandbox.accounts import SANDBOX

pytestmark = pytest.mark.integration


def pixup(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_pixup(), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def env(box: Sandbox, clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, **box.env()}


@pytest.mark.parametrize(
    ("service", "api"), [("twitrpix", "1"), ("twitrpix", "2"), ("imgly", "2"), ("imgly", "1")]
)
def test_upload_each_service_and_api_then_fetch_it_back(
    box: Sandbox, env: dict[str, str], png: Path, service: str, api: str
) -> None:
    result = pixup(["upload", str(png), "-s", service, "--api", api], env)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    [upload] = box.uploads()
    assert url == f"{box.url}/{upload['id']}"
    assert (upload["service"], str(upload["api"])) == (service, api)
    # Not a terminal: no decoration on stderr, just the URL on stdout.
    assert result.stderr == ""
    with urllib.request.urlopen(url, timeout=5) as resp:
        assert resp.read() == png.read_bytes()


def test_json_stream_pipes_into_a_parser(box: Sandbox, env: dict[str, str], png: Path) -> None:
    result = pixup(["upload", str(png), str(png), "-s", "imgly", "--json"], env)
    assert result.returncode == 0
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    # -j uploads at once: the server may see them in any order, the output keeps the input's.
    assert sorted(d["media"]["id"] for d in docs) == sorted(u["id"] for u in box.uploads())
    # The img.ly thumbnail URL redirects to the stored image.
    with urllib.request.urlopen(docs[0]["media"]["thumb_url"], timeout=5) as resp:
        assert resp.read() == png.read_bytes()


def test_ping_and_thumb_url(box: Sandbox, env: dict[str, str]) -> None:
    ping = pixup(["ping"], env)
    assert ping.returncode == 0
    assert ping.stdout.startswith(f"twitrpix: pong from {box.url}")
    thumb = pixup(["thumb-url", "3de", "-s", "imgly"], env)
    assert thumb.stdout == f"{box.url}/show/thumb/3de\n"


def test_errors_are_one_line_never_a_traceback(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    cases = [
        (["upload", str(tmp_path / "nope.png")], 4),
        (["upload", str(tmp_path)], 4),
        (["upload", str(png), "--endpoint", "http://127.0.0.1:9", "--retries", "0"], 5),
        (["upload", str(png), "-s", "nosuch"], 2),
        (["ping", "--endpoint", "http://127.0.0.1:9"], 5),
        (["thumb-url", "??"], 2),
        (["config", "set", "timeout", "forever"], 2),
    ]
    for args, code in cases:
        result = pixup(args, env)
        assert result.returncode == code, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 1, (args, result.stderr)
        assert result.stderr.startswith("pixup: error: ")


def test_no_secret_in_any_output(box: Sandbox, env: dict[str, str], png: Path) -> None:
    outputs = []
    for args in (
        ["upload", str(png), "-v", "--json"],
        ["upload", str(png), "-s", "imgly", "-v", "--api", "1"],
        ["upload", str(png), "-s", "imgly", "--dry-run", "--api", "1"],
        ["upload", str(png), "--dry-run", "--json"],
        ["ping", "-v"],
    ):
        result = pixup(args, env)
        outputs.append(result.stdout + result.stderr)
    wrong = pixup(
        ["upload", str(png), "-v"], {**env, "PIXUP_OAUTH_TOKEN_SECRET": "leak-me-not-123"}
    )
    outputs.append(wrong.stdout + wrong.stderr)
    everything = "\n".join(outputs)
    secrets = [
        SANDBOX.api_key,
        SANDBOX.consumer_secret,
        SANDBOX.token,
        SANDBOX.token_secret,
        SANDBOX.password,
        "leak-me-not-123",
    ]
    for secret in secrets:
        assert secret not in everything


def test_sandbox_prints_its_address_and_credentials(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [installed_pixup(), "sandbox", "--port", "0", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("pixup sandbox listening on http://127.0.0.1:")
        rest = [proc.stdout.readline() for _ in range(11)]
        assert f"  export PIXUP_TWITRPIX_API_KEY={SANDBOX.api_key}\n" in rest
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_print_env_points_at_the_given_port(clean_env: dict[str, str]) -> None:
    result = pixup(["sandbox", "--port", "8765", "--print-env"], clean_env)
    assert result.returncode == 0
    assert result.stdout == "".join(
        f"export {k}={v}\n" for k, v in SANDBOX.environment("http://127.0.0.1:8765").items()
    )
    assert pixup(["sandbox", "--print-env"], clean_env).returncode == 2


def test_sandbox_port_errors_are_one_line(sandbox: Sandbox, clean_env: dict[str, str]) -> None:
    busy = sandbox.url.rsplit(":", 1)[1]
    for port, text in ((busy, "Address already in use"), ("70000", "65535")):
        result = pixup(["sandbox", "--port", port], clean_env, timeout=20)
        assert result.returncode == 2
        assert result.stderr.startswith("pixup: error: ")
        assert text in result.stderr
        assert len(result.stderr.splitlines()) == 1


def test_a_message_that_is_not_text_is_a_usage_error(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    # argv bytes that are not UTF-8 reach Python as lone surrogates.
    result = subprocess.run(
        [installed_pixup().encode(), b"upload", str(png).encode(), b"-m", b"caf\xe9"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert b"the message is not valid text" in result.stderr
    assert box.uploads() == []


def test_print_env_urls_only_has_no_credential(clean_env: dict[str, str]) -> None:
    result = pixup(["sandbox", "--port", "8765", "--print-env", "--urls-only"], clean_env)
    assert result.stdout == "".join(
        f"export {k}={v}\n" for k, v in SANDBOX.urls("http://127.0.0.1:8765").items()
    )
    assert SANDBOX.consumer_secret not in result.stdout
