"""Prompts go to the terminal (stderr), never to stdout, and never when no one can answer.

Run in a real pseudo-terminal: stdin and stderr are the terminal, stdout is a pipe, as in
``url=$(pixup upload a.png)``.
"""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest
from conftest import Sandbox, installed_pixup
from pty_screen import Screen, controlling_terminal, pin_shown_at, wait_for_no_echo

from pixup.sandbox.accounts import SANDBOX


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
        preexec_fn=controlling_terminal,
    )
    os.close(slave)
    screen = Screen(master)
    out = b""
    try:
        for prompt, line in answers:
            screen.wait_for(prompt, timeout=20)
            if "password" in prompt:
                wait_for_no_echo(master)
            screen.type(line)
        out, _ = proc.communicate(timeout=60)
    finally:
        screen.close(proc)
    return proc.returncode, out.decode(), screen.text()


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
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [installed_pixup(), "config", "login", "--consumer-key", SANDBOX.consumer_key,
         "--no-browser"],
        stdin=slave, stdout=slave, stderr=slave,
        env={**env, "PIXUP_OAUTH_CONSUMER_SECRET": SANDBOX.consumer_secret},
        preexec_fn=controlling_terminal,
    )  # fmt: skip
    os.close(slave)
    screen = Screen(master)
    try:
        # No: the value in the environment is not stored; it is asked for instead.
        screen.wait_for("Store PIXUP_OAUTH_CONSUMER_SECRET from the environment")
        screen.type("n")
        screen.wait_for("OAuth consumer secret")
        wait_for_no_echo(master)
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
