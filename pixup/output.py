"""What pixup prints: data on stdout, everything for humans on stderr.

Every object written under ``--json`` is built here, so the documented schema lives in
one place. Every string that leaves pixup passes :meth:`Output.redact` first: a hostile
server echoing a secret back cannot make pixup print it.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterable
from dataclasses import asdict
from typing import IO, TYPE_CHECKING, Any

from pixup.controls import PRINT_UNSAFE, json_escaped
from pixup.errors import REDACTED, PixupError

if TYPE_CHECKING:
    from pixup.models import UploadResult


# Secrets at least this long are redacted wherever they appear, shorter ones as tokens.
_ANYWHERE = 12


def secret_forms(secret: str) -> set[str]:
    """``secret`` as it may appear in a URL, a form, a header or an echo of either: raw,
    percent-encoded (``quote`` and ``quote_plus``), and base64 (standard, URL-safe, with
    and without padding)."""
    from base64 import b64encode, urlsafe_b64encode
    from urllib.parse import quote, quote_plus

    forms = {secret, quote(secret), quote(secret, safe=""), quote_plus(secret)}
    raw = secret.encode("utf-8", "surrogateescape")
    for encoded in (b64encode(raw).decode(), urlsafe_b64encode(raw).decode()):
        forms |= {encoded, encoded.rstrip("="), quote(encoded, safe="")}
    return forms


def isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


class Output:
    def __init__(
        self,
        *,
        json_mode: bool = False,
        quiet: bool = False,
        verbose: bool = False,
        color: bool = True,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        fancy: bool | None = None,
        stdout_tty: bool | None = None,
        columns: int | None = None,
    ) -> None:
        self.json_mode = json_mode
        self.quiet = quiet
        self.verbose = verbose
        # --no-color or NO_COLOR (https://no-color.org); rich also checks NO_COLOR itself.
        self.color = color
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        # Whether stderr is a terminal, as the run context found it (None: ask the stream).
        self._stderr_tty = isatty(self.stderr) if fancy is None else fancy
        self.stdout_tty = isatty(self.stdout) if stdout_tty is None else stdout_tty
        self._columns = columns
        self._secrets: list[str] = []
        self._pattern: re.Pattern[str] | None = None
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        # While a live display (progress bars) is on the terminal, the rich Console that
        # draws it: every line meant for the terminal is printed above the display through
        # it, never written into the middle of it.
        self.live_console: Any = None

    # --- redaction ------------------------------------------------------------------

    def add_secrets(self, values: Iterable[str]) -> None:
        """Redact each of ``values`` from now on, in every form it travels in."""
        # Very short values would blank out ordinary words; real secrets are long.
        fresh = {form for v in values if len(v) >= 4 for form in secret_forms(v) if len(form) >= 4}
        if fresh <= set(self._secrets):  # each attempt of a batch adds the same ones again
            return
        merged = set(self._secrets) | fresh
        self._secrets = sorted(merged, key=len, reverse=True)
        # A short one only as a whole token: the secret "wrong" leaves
        # "wrong_developer_key" alone. A long one anywhere: it is no word, and an echo may
        # glue it to its neighbours (``\nSECRET`` inside a JSON string).
        alternatives = "|".join(
            re.escape(s)
            if len(s) >= _ANYWHERE
            else rf"(?<![A-Za-z0-9_]){re.escape(s)}(?![A-Za-z0-9_])"
            for s in self._secrets
        )
        self._pattern = re.compile(alternatives) if alternatives else None

    def redact(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)

    def shown(self, text: str) -> str:
        """``text`` as it may reach a terminal: redacted, and without the control and
        bidirectional characters a server could use to rewrite the screen (\\n and \\t
        stay). JSON needs no such step: json.dumps escapes them."""
        return PRINT_UNSAFE.sub("\ufffd", self.redact(text))

    def _redact_obj(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, dict):
            return {k: self._redact_obj(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self._redact_obj(v) for v in obj]
        return obj

    # --- streams --------------------------------------------------------------------

    def _emit(self, stream: IO[str], text: str) -> None:
        """Write ``text`` (shown already) to ``stream``, or above the live display when the
        stream is the terminal it is drawn on."""
        console = self.live_console
        if console is not None and (stream is self.stderr or self.stdout_tty):
            from rich.text import Text

            console.print(Text(text.removesuffix("\n")), soft_wrap=True, highlight=False)
            return
        stream.write(text)
        stream.flush()

    def line(self, text: str) -> None:
        """One line of data on stdout."""
        self._emit(self.stdout, self.shown(text) + "\n")

    def result(self, text: str) -> None:
        """A file's result line for a person: on stdout when it is the terminal (it holds
        the URL), else on stderr beside the URL that went to stdout."""
        self._emit(self.stdout if self.stdout_tty else self.stderr, self.shown(text) + "\n")

    def json(self, obj: dict[str, Any]) -> None:
        """One JSON object on one line of stdout (NDJSON), flushed: a reader sees each
        result as it happens."""
        self.stdout.write(self._json_line(obj))
        self.stdout.flush()

    def json_lines(self, objs: Iterable[dict[str, Any]]) -> None:
        """Many objects, one a line, written as they come and flushed at the end."""
        for obj in objs:
            self.stdout.write(self._json_line(obj))
        self.stdout.flush()

    def _json_line(self, obj: dict[str, Any]) -> str:
        import json  # only under --json: the json package costs every other run ~2 ms

        clean = self._redact_obj(obj)
        line = json.dumps(clean, ensure_ascii=False)
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            # A file name with bytes that are not UTF-8 (kept by Python as lone
            # surrogates): \u escapes keep the line valid UTF-8 for jq and friends.
            line = json.dumps(clean, ensure_ascii=True)
        return json_escaped(line) + "\n"

    def failed(self, text: str) -> None:
        """A file's failure line for a person, on stderr (see :meth:`result`); at a
        terminal, wrapped at word breaks like an error."""
        self._emit(self.stderr, self._wrapped(self.shown(text)) + "\n")

    def error(self, err: PixupError | str) -> None:
        message = err.message if isinstance(err, PixupError) else err
        self._emit(self.stderr, self._wrapped(f"pixup: error: {self.shown(message)}") + "\n")

    def _wrapped(self, line: str) -> str:
        """At a terminal, a long message wrapped at word breaks to its width (the rest
        indented); elsewhere one line, for logs and grep."""
        if not self._stderr_tty or len(line) < self.columns or self.columns < 20:
            return line
        import textwrap

        return textwrap.fill(
            line,
            width=self.columns - 1,
            subsequent_indent="  ",
            break_long_words=False,
            break_on_hyphens=False,
        )

    def warn(self, message: str) -> None:
        self._emit(self.stderr, f"pixup: warning: {self.shown(message)}\n")

    def warn_once(self, message: str) -> None:
        """A warning shown once per run, however many files or workers meet it."""
        with self._lock:
            if message in self._warned:
                return
            self._warned.add(message)
        self.warn(message)

    def info(self, message: str) -> None:
        if not self.quiet:
            self._emit(self.stderr, self.shown(message) + "\n")

    def debug(self, message: str) -> None:
        if self.verbose:
            self._emit(self.stderr, f"pixup: {self.shown(message)}\n")

    @property
    def columns(self) -> int:
        """The terminal's width, as the run context found it (else asked here; 80 when it
        cannot be asked)."""
        if self._columns is not None:
            return self._columns
        import shutil

        return shutil.get_terminal_size((80, 24)).columns

    @property
    def unicode(self) -> bool:
        """Whether the terminal can show ✓ and ✗ (its encoding is UTF-8)."""
        return "utf" in (getattr(self.stderr, "encoding", None) or "").lower()

    @property
    def fancy(self) -> bool:
        """Rich decoration on stderr: only for a person at a terminal."""
        return not (self.quiet or self.json_mode) and self._stderr_tty

    def details(self, title: str, rows: list[tuple[str, str | None]]) -> None:
        if not self.fancy:
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_header=False, box=None, title_justify="left")
        table.add_column(style="bold cyan")
        table.add_column()
        for key, value in rows:
            if value:
                table.add_row(key, self.shown(value))
        console = self.live_console or Console(file=self.stderr, no_color=not self.color)
        console.print(table)


# --- the --json schema --------------------------------------------------------------


def upload_ok(service: str, api: int | None, file: str, result: UploadResult) -> dict[str, Any]:
    return {
        "ok": True,
        "service": service,
        "api": api,
        "file": file,
        "media": asdict(result.media),
        "user": asdict(result.user),
        "status_id": result.status_id,
    }


def upload_failed(
    service: str | None, api: int | None, file: str, err: PixupError
) -> dict[str, Any]:
    return {"ok": False, "service": service, "api": api, "file": file, "error": err.to_json()}


def ping_obj(
    service: str | None,
    endpoint: str | None,
    status: str,
    latency_ms: float | None,
    err: PixupError | None = None,
) -> dict[str, Any]:
    return {
        "ok": err is None and status in ("pong", "up"),
        "service": service,
        "endpoint": endpoint,
        "status": status,
        "latency_ms": None if latency_ms is None else round(latency_ms, 1),
        "error": None if err is None else err.to_json(),
    }
