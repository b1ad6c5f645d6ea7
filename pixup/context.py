"""One context per run: streams, terminal facts, environment, config, prompting.

Built once by the command line (:func:`from_process`) and passed to every command, so no
command reads ``os.environ``, asks ``isatty`` or prompts on its own. Tests build one with
the streams and environment they want. Prompts always go to stderr (never stdout, which a
script may be capturing), and only when a person can answer: stdin and stderr are
terminals and ``--no-input`` was not given.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, NamedTuple, TextIO, cast

from pixup.errors import PixupError, UsageError
from pixup.output import Output, isatty

if TYPE_CHECKING:
    from pixup.config import ConfigFile
    from pixup.keystore import KeyStore


class Terminal(NamedTuple):
    """What the streams are attached to, found once. (Not a dataclass: every command
    makes one, and a dataclass costs milliseconds to create.)"""

    stdin_tty: bool = False
    stdout_tty: bool = False
    stderr_tty: bool = False
    color: bool = True
    width: int = 80

    @classmethod
    def detect(
        cls, stdin: object, stdout: object, stderr: object, env: Mapping[str, str], no_color: bool
    ) -> Terminal:
        try:
            width = os.get_terminal_size(stderr.fileno()).columns  # type: ignore[attr-defined]
        except (AttributeError, OSError, ValueError):
            width = 0
        if width <= 0:  # not a terminal, or one that never said its size (a bare pty)
            columns = env.get("COLUMNS", "")
            width = int(columns) if columns.isdigit() and int(columns) > 0 else 80
        return cls(
            stdin_tty=isatty(stdin),
            stdout_tty=isatty(stdout),
            stderr_tty=isatty(stderr),
            # --no-color or NO_COLOR (https://no-color.org); rich also checks NO_COLOR itself.
            color=not (no_color or env.get("NO_COLOR")),
            width=width,
        )


class NoInput(UsageError):
    """A value is needed and no one can be asked for it."""


class Prompter:
    """Questions to the person at the terminal, on stderr, one at a time (uploads run in
    threads). With no one to ask, every question raises :class:`NoInput`."""

    def __init__(self, available: bool, stdin: IO[str], stderr: IO[str]) -> None:
        self.available = available
        self.stdin = stdin
        self.stderr = stderr
        self._lock = threading.Lock()

    def _need(self, what: str) -> None:
        if not self.available:
            raise NoInput(f"{what} is needed, and there is no terminal to ask at")

    def text(self, label: str, *, secret: bool = False, default: str | None = None) -> str:
        """One answer; secrets are read without echo. An empty answer is the default, or
        ``""``. click's prompt is not used: it writes a space to stdout before reading."""
        self._need(label)
        shown = f"{label} [{default}]: " if default and not secret else f"{label}: "
        with self._lock:
            if secret:
                import getpass

                # getpass talks to /dev/tty, or to stderr when there is none.
                value = getpass.getpass(shown, stream=cast("TextIO", self.stderr))
            else:
                self.stderr.write(shown)
                self.stderr.flush()
                line = self.stdin.readline()
                if not line:
                    raise NoInput(f"{label}: standard input ended before an answer")
                value = line
        return value.strip() or (default or "")

    def choose(self, label: str, choices: Sequence[str]) -> str:
        self._need(label)
        answer = ""
        while answer not in choices:
            answer = self.text(f"{label} ({' / '.join(choices)})", default=choices[0])
        return answer

    def confirm(self, question: str) -> bool:
        return self.text(f"{question} [y/N]").lower() in ("y", "yes")


class Context:
    """Everything a command may use of the process it runs in."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        stdin: IO[str],
        stdout: IO[str],
        stderr: IO[str],
        term: Terminal,
        prompt: Prompter,
    ) -> None:
        self.env, self.term, self.prompt = env, term, prompt
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self._config: ConfigFile | None = None
        self._store: KeyStore | None = None

    def stdin_bytes(self) -> IO[bytes] | None:
        """Standard input as bytes (an image piped in); None when it is closed."""
        if self.stdin is None:
            return None
        return cast("IO[bytes]", getattr(self.stdin, "buffer", self.stdin))

    def config(self) -> ConfigFile:
        """The config file, read at most once per run."""
        if self._config is None:
            from pixup import config
            from pixup.paths import config_path

            self._config = config.load(config_path(self.env))
        return self._config

    def reload_config(self) -> ConfigFile:
        """The config file as it is now (after this run changed it)."""
        self._config = None
        return self.config()

    def keystore(self) -> KeyStore:
        if self._store is None:
            from pixup.keystore import KeyStore

            self._store = KeyStore(self.env)
        return self._store

    def output(self, json_mode: bool = False, quiet: bool = False, verbose: bool = False) -> Output:

        return Output(
            json_mode=json_mode,
            quiet=quiet,
            verbose=verbose,
            color=self.term.color,
            stdout=self.stdout,
            stderr=self.stderr,
            fancy=self.term.stderr_tty,
            stdout_tty=self.term.stdout_tty,
            columns=self.term.width,
        )


def from_process(
    *, no_keyring: bool = False, no_color: bool = False, no_input: bool = False
) -> Context:
    """The context of this process, with the global options folded in."""
    env: Mapping[str, str] = os.environ
    if no_keyring:
        env = {**os.environ, "PIXUP_NO_KEYRING": "1"}
    term = Terminal.detect(sys.stdin, sys.stdout, sys.stderr, env, no_color)
    can_ask = term.stdin_tty and term.stderr_tty and not no_input
    return Context(
        env=env,
        stdin=sys.stdin,
        stdout=sys.stdout,
        stderr=sys.stderr,
        term=term,
        prompt=Prompter(can_ask, sys.stdin, sys.stderr),
    )


def run_guarded(
    out: Output,
    action: Callable[[], int | None],
    failure: Callable[[PixupError], dict[str, Any]] | None = None,
) -> int:
    """Run a command's work: a PixupError becomes one line on stderr (and, under --json,
    the error object ``failure`` makes of it) and the command's exit status."""
    try:
        return action() or 0
    except PixupError as err:
        out.error(err)
        if out.json_mode:
            out.json(failure(err) if failure else {"ok": False, "error": err.to_json()})
        return int(err.exit_code)
