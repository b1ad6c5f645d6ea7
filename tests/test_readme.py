"""The README's Quick start and keyring walk-through, run as written: each block is taken
from README.md and run by bash, on a free port instead of 8765, against the pixup under
test. The walk-through's login is answered in a real pseudo-terminal, the PIN read from
the page it says to open."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, installed_pixup
from pty_screen import Screen, controlling_terminal, pin_shown_at, wait_for_no_echo

from pixup.sandbox.accounts import SANDBOX

README = Path(__file__).parent.parent / "README.md"


def sh_blocks(after_heading: str) -> list[str]:
    """The ```sh blocks of the README section that starts with ``after_heading``."""
    text = README.read_text(encoding="utf-8")
    section = text.split(f"\n{after_heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.DOTALL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_run_here(block: str, port: int) -> str:
    """The block with the repository's paths made absolute and the port free."""
    block = block.replace(".venv/bin/pixup", shlex.quote(installed_pixup()))
    block = block.replace("tests/fixtures/", f"{FIXTURES}/")
    return block.replace("8765", str(port))


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def env(clean_env: dict[str, str]) -> dict[str, str]:
    # A fresh shell: no PIXUP_* (clean_env), and the test keyring as the system keyring.
    return clean_env


def test_the_quick_start_runs_as_written(env: dict[str, str], tmp_path: Path) -> None:
    [block, _] = sh_blocks("## Quick start (no account needed)")
    port = free_port()
    result = subprocess.run(
        ["bash", "-e", "-c", as_run_here(block, port)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    base = f"http://127.0.0.1:{port}"
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"twitrpix: pong from {base} in ")
    urls = [line for line in lines if re.fullmatch(re.escape(base) + r"/\w+", line)]
    assert len(urls) == 4  # the plain uploads; -s imgly --json gives a JSON line
    assert sum(line.startswith('{"ok": true, "service": "imgly"') for line in lines) == 1
    assert "the same image came back" in lines
    assert lines[-1] == f'<a href="{base}/3de"><img src="{base}/show/thumb/3de"></a>'
    assert result.stderr == ""  # no access log, nothing else in the terminal
    time.sleep(0.5)
    assert not listening(port)  # kill %1 stopped it
    assert len(list((tmp_path / "sandbox-data").glob("*.json"))) == 6


def test_the_keyring_walk_through_runs_as_written(env: dict[str, str], tmp_path: Path) -> None:
    [_, block] = sh_blocks("## Quick start (no account needed)")
    port = free_port()
    master, slave = os.openpty()
    proc = subprocess.Popen(
        ["bash", "-e", "-c", as_run_here(block, port)],
        cwd=tmp_path,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        preexec_fn=controlling_terminal,
    )
    os.close(slave)
    screen = Screen(master)
    try:
        screen.wait_for("consumer secret")
        wait_for_no_echo(master)
        screen.type(SANDBOX.consumer_secret)
        page = screen.wait_for_match(r"(http://\S+/oauth/authorize\?\S+)")
        pin = pin_shown_at(page)
        screen.wait_for("PIN")
        screen.type(pin)
        screen.wait_for("API key")
        wait_for_no_echo(master)
        screen.type(SANDBOX.api_key)
        status = proc.wait(timeout=60)
    finally:
        screen.close(proc)
    text = screen.text()
    assert status == 0, text
    assert re.search(rf"http://127\.0\.0\.1:{port}/\w+\r?\n", text), text  # the upload's URL
    for secret in (SANDBOX.consumer_secret, SANDBOX.api_key, SANDBOX.token_secret):
        assert secret not in text  # hidden input; never echoed
    assert not listening(port)
