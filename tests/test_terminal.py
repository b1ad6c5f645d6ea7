"""What a person sees at a terminal, read off the final screen of a real pseudo-terminal
by a terminal emulator (pyte): a batch leaves one line a file, each URL whole, no bar
behind, and a summary; with and without colour."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pyte
import pytest
from conftest import Sandbox, installed_pixup

COLUMNS, ROWS = 80, 60


def on_a_terminal(
    args: list[str], env: dict[str, str], cwd: Path | None = None
) -> tuple[int, bytes]:
    """Run ``args`` with stdin, stdout and stderr on a pseudo-terminal of COLUMNS x ROWS;
    its status and every byte it wrote."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    written = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if select.select([master], [], [], 0.1)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child is gone and the terminal closed
                break
            if not chunk:
                break
            written += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=10), written


def final_screen(written: bytes) -> list[str]:
    screen = pyte.Screen(COLUMNS, ROWS)
    stream = pyte.ByteStream(screen)
    stream.feed(written)
    return [line.rstrip() for line in screen.display]


@pytest.fixture
def env(box: Sandbox, clean_env: dict[str, str]) -> dict[str, str]:
    env = {**clean_env, **box.env(), "TERM": "xterm-256color"}
    env.update(COLUMNS=str(COLUMNS), LINES=str(ROWS))
    env.pop("NO_COLOR", None)
    return env


@pytest.mark.parametrize("no_color", [False, True])
def test_a_batch_at_a_terminal_leaves_a_clean_screen(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path, no_color: bool
) -> None:
    files = []
    for i in range(20):
        files.append(tmp_path / f"holiday-{i:02}.png")
        files[-1].write_bytes(png.read_bytes() + bytes([i]))
    box.set_state(delay=0.1)  # long enough for the bars to be drawn and redrawn
    if no_color:
        env["NO_COLOR"] = "1"
    names = [f.name for f in files]  # as typed in the folder: the lines have room
    status, written = on_a_terminal(
        [installed_pixup(), "upload", *names, "-j", "4", "--no-history"], env, cwd=tmp_path
    )
    assert status == 0, written.decode(errors="replace")
    # The live display was there while the files went...
    assert b"all 20 files" in written
    if no_color:
        assert b"\x1b[3" not in written and re.search(rb"\d+%", written)  # a bar still shown
    screen = final_screen(written)
    text = "\n".join(screen)
    # ...and is gone: no bar, no speed, no percentage left behind.
    assert "all 20 files" not in text and "━" not in text and "B/s" not in text
    stored = {f"{box.url}/{u['id']}" for u in box.uploads()}
    results = [line for line in screen if line.startswith("✓ ")]
    assert len(results) == 20
    for name, line in zip(names, results, strict=True):
        # One line a file, in order, its URL whole on that line.
        match = re.fullmatch(rf"✓ {re.escape(name)}  (\S+)  6\.2 KiB  \d+\.\d s", line)
        assert match, line
        assert match[1] in stored
    assert re.fullmatch(r"20 uploaded, 0 failed, 123\.\d KiB in \d+\.\d s", results_after(screen))


def results_after(screen: list[str]) -> str:
    """The first non-empty line after the last result line: the summary."""
    last = max(i for i, line in enumerate(screen) if line.startswith("✓ "))
    return next(line for line in screen[last + 1 :] if line)


def test_a_script_capturing_the_url_is_never_asked_anything(
    box: Sandbox, clean_env: dict[str, str], png: Path
) -> None:
    # No credentials, stdin not the terminal: exit 3 at once, nothing captured, no prompt.
    env = {**clean_env, **box.env()}
    for name in ("PIXUP_USERNAME", "PIXUP_PASSWORD"):
        env.pop(name)
    script = (
        f"url=$({installed_pixup()} upload {png} -s imgly --api 1 </dev/null); "
        'echo "status=$? url=[$url]"'
    )
    started = time.monotonic()
    status, written = on_a_terminal(["bash", "-c", script], env)
    assert time.monotonic() - started < 10
    text = "\n".join(final_screen(written))
    assert "status=3 url=[]" in text
    assert "user name:" not in text and "password:" not in text.lower()  # no prompt
    assert "PIXUP_USERNAME" in text  # the error says what to set
    assert status == 0


def test_a_long_error_is_wrapped_to_the_terminal_and_one_line_elsewhere(
    box: Sandbox, clean_env: dict[str, str], png: Path
) -> None:
    env = {k: v for k, v in {**clean_env, **box.env()}.items() if "OAUTH" not in k}
    args = [installed_pixup(), "--no-input", "upload", str(png)]
    status, written = on_a_terminal(args, {**env, "COLUMNS": str(COLUMNS)})
    assert status == 3
    lines = written.decode().replace("\r\n", "\n").strip().splitlines()
    assert len(lines) > 1 and all(len(line) < COLUMNS for line in lines), lines
    assert lines[0].startswith("pixup: error: missing credentials")
    assert all(line.startswith("  ") for line in lines[1:])
    piped = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 3
    assert len(piped.stderr.splitlines()) == 1  # for logs and grep: one line


def test_a_files_long_failure_wraps_at_word_breaks(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    (tmp_path / "beach.png").write_bytes(png.read_bytes())
    (tmp_path / "a-file-with-a-long-name-notes.png").write_text("not an image at all\n")
    status, written = on_a_terminal(
        [installed_pixup(), "upload", "beach.png", "a-file-with-a-long-name-notes.png"],
        env,
        cwd=tmp_path,
    )
    assert status == 4
    screen = [line for line in final_screen(written) if line]
    failed = next(i for i, line in enumerate(screen) if line.startswith("✗ "))
    # Longer than the terminal: broken between words, the rest indented, no word cut.
    assert screen[failed + 1].startswith("  ") and not screen[failed + 1].startswith("   ")
    words = " ".join(line.strip() for line in screen[failed : failed + 2]).split()
    assert "name;" in words and "(judged" in words
    assert all(len(line) < COLUMNS for line in screen)
