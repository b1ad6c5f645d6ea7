"""A program driven in a real pseudo-terminal, for the tests: what it shows, read as it
comes; typing into it; hidden input awaited; the PIN from an OAuth authorize page."""

from __future__ import annotations

import fcntl
import os
import re
import select
import subprocess
import termios
import time
import urllib.request


def wait_for_no_echo(fd: int, timeout: float = 10) -> None:
    """Until hidden input is on: getpass flushes what was typed before it turned echo off."""
    deadline = time.monotonic() + timeout
    while termios.tcgetattr(fd)[3] & termios.ECHO:
        assert time.monotonic() < deadline, "the password prompt never turned echo off"
        time.sleep(0.02)


def controlling_terminal() -> None:
    # In the child: a session of its own whose controlling terminal is the pty (stdin).
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def pin_shown_at(page: str) -> str:
    """The PIN the OAuth provider's authorize page shows (the sandbox approves at once)."""
    with urllib.request.urlopen(page, timeout=10) as resp:
        pin = re.search(r'<code id="pin">(\d+)</code>', resp.read().decode())
    assert pin, "the page shows no PIN"
    return pin[1]


class Screen:
    """What a pseudo-terminal has shown, read as it comes."""

    def __init__(self, fd: int) -> None:
        self.fd, self.seen, self.pos = fd, [], 0  # type: ignore[var-annotated]

    def text(self) -> str:
        return "".join(self.seen)

    def _read(self, deadline: float, what: str) -> None:
        left = deadline - time.monotonic()
        assert left > 0, f"never saw {what!r}; the terminal showed {self.text()!r}"
        if select.select([self.fd], [], [], left)[0]:
            try:
                self.seen.append(os.read(self.fd, 4096).decode(errors="replace"))
            except OSError:  # the shell closed the terminal
                raise AssertionError(f"never saw {what!r}; it showed {self.text()!r}") from None

    def wait_for(self, wanted: str, timeout: float = 30) -> None:
        """Until ``wanted`` is shown after what the last wait found."""
        self.wait_for_match(f"({re.escape(wanted)})", timeout)

    def wait_for_match(self, pattern: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while not (found := re.compile(pattern).search(self.text(), self.pos)):
            self._read(deadline, pattern)
        self.pos = found.end()
        return found[1]

    def type(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())

    def close(self, proc: subprocess.Popen[bytes]) -> None:
        """The program stopped (killed if it still runs), the rest read, the pty closed."""
        if proc.poll() is None:
            proc.kill()
        self.drain()
        os.close(self.fd)

    def drain(self) -> None:
        try:
            while select.select([self.fd], [], [], 0.2)[0]:
                self.seen.append(os.read(self.fd, 4096).decode(errors="replace"))
        except OSError:
            pass
