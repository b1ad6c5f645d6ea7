"""Prompts go to the terminal (stderr), never to stdout, and never when no one can answer.

Run in a real pseudo-terminal: stdin and stderr are the terminal, stdout is a pipe, as in
``url=$(pixup upload a.png)``.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import termios
import time
from pathlib import Path

import pytest
from conftest import Sandbox, installed_pixup

from pixup.sandbox.accounts import SANDBOX


def _read_until(fd: int, wanted: str, seen: list[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while wanted not in "".join(seen):
        left = deadline - time.monotonic()
        assert left > 0, f"never saw {wanted!r} on the terminal; saw {''.join(seen)!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                seen.append(os.read(fd, 4096).decode(errors="replace"))
            except OSError:  # the child closed the terminal
                break


def _wait_for_no_echo(fd: int, timeout: float = 10) -> None:
    """Until hidden input is on: getpass flushes what was typed before it turned echo off."""
    deadline = time.monotonic() + timeout
    while termios.tcgetattr(fd)[3] & termios.ECHO:
        assert time.monotonic() < deadline, "the password prompt never turned echo off"
        time.sleep(0.02)


def _controlling_terminal() -> None:
    # In the child: a session of its own whose controlling terminal is the pty (stdin).
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def at_terminal(
    args: list[str], env: dict[str, str], answers: list[tuple[str, str]]
) -> tuple[int, str, str]:
    """Run pixup with stdin and stderr on a pseudo-terminal and stdout on a pipe; answer
    each prompt (text seen on the terminal -> line typed). Returns status, stdout, terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [installed_pixup(), *args],
        stdin=slave,
        stderr=slave,
        stdout=subprocess.PIPE,
        env=env,
        preexec_fn=_controlling_terminal,
    )
    os.close(slave)
    seen: list[str] = []
    try:
        for prompt, line in answers:
            _read_until(master, prompt, seen)
            if "password" in prompt:
                _wait_for_no_echo(master)
            os.write(master, (line + "\n").encode())
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        try:
            while select.select([master], [], [], 0.2)[0]:
                seen.append(os.read(master, 4096).decode(errors="replace"))
        except OSError:
            pass
        os.close(master)
    return proc.returncode, out.decode(), "".join(seen)


@pytest.fixture
def env(box: Sandbox, clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, **SANDBOX.urls(box.url)}


def test_credential_prompts_go_to_the_terminal_not_to_stdout(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    status, out, terminal = at_terminal(
        ["upload", str(png), "-s", "imgly", "--api", "1"],
        env,
        [("img.ly API 1 user name", SANDBOX.username), ("password", SANDBOX.password)],
    )
    assert status == 0, terminal
    # stdout holds the URL and nothing else: what `url=$(pixup upload ...)` captures.
    assert out.count("\n") == 1 and out.startswith(box.url), out
    assert "user name" not in out and "password" not in out
    assert "img.ly API 1 user name" in terminal
    assert SANDBOX.password not in terminal  # hidden input
    assert [u["service"] for u in box.uploads()] == ["imgly"]


def test_no_input_never_prompts_and_names_what_is_missing(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    status, out, terminal = at_terminal(
        ["--no-input", "upload", str(png), "-s", "imgly", "--api", "1"], env, []
    )
    assert status == 3
    assert out == ""
    assert "user name:" not in terminal
    said = terminal.replace("\r\n  ", " ")  # wrapped to the terminal's width
    assert "img.ly API 1 user name, img.ly API 1 password" in said
    assert "PIXUP_USERNAME, PIXUP_PASSWORD" in said
    assert box.uploads() == []


def test_login_asks_for_the_pin_on_the_terminal(env: dict[str, str]) -> None:
    # The authorize URL is data (stdout); the questions are not.
    master_env = {**env, "PIXUP_OAUTH_CONSUMER_SECRET": SANDBOX.consumer_secret}
    status, out, terminal = at_terminal(
        ["config", "login", "--consumer-key", SANDBOX.consumer_key, "--no-browser"],
        master_env,
        # A wrong PIN is asked for again, three times in all, in the same flow.
        [
            ("Store PIXUP_OAUTH_CONSUMER_SECRET from the environment", "y"),
            ("PIN", "0000000"),
            ("(2 left)", "1111111"),
            ("(1 left)", "2222222"),
        ],
    )
    assert status == 3  # the sandbox refuses a wrong PIN
    assert out.count("/oauth/authorize?oauth_token=") == 1  # one page: no new login
    assert "PIN" not in out
    assert terminal.count("refused the PIN") == 3


def test_a_mistyped_pin_can_be_typed_again(box: Sandbox, env: dict[str, str]) -> None:
    from test_readme import Screen, pin_shown_at

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [installed_pixup(), "config", "login", "--consumer-key", SANDBOX.consumer_key,
         "--no-browser"],
        stdin=slave, stdout=slave, stderr=slave,
        env={**env, "PIXUP_OAUTH_CONSUMER_SECRET": SANDBOX.consumer_secret},
        preexec_fn=_controlling_terminal,
    )  # fmt: skip
    os.close(slave)
    screen = Screen(master)
    try:
        # No: the value in the environment is not stored; it is asked for instead.
        screen.wait_for("Store PIXUP_OAUTH_CONSUMER_SECRET from the environment")
        screen.type("n")
        screen.wait_for("OAuth consumer secret")
        _wait_for_no_echo(master)
        screen.type(SANDBOX.consumer_secret)
        page = screen.wait_for_match(r"(http://\S+/oauth/authorize\?\S+)")
        screen.wait_for("PIN")
        screen.type("0000000")
        screen.wait_for("try again (2 left)")
        screen.type(pin_shown_at(page))
        status = proc.wait(timeout=60)
    finally:
        screen.close(proc)
    assert status == 0, screen.text()
    assert "Logged in" in screen.text()
    assert "consumer_secret (asked)" in screen.text()  # says where each value came from
    assert "consumer_key (flag)" in screen.text()
    assert SANDBOX.consumer_secret not in screen.text()
