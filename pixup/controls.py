"""Characters a server could use to drive a terminal, and what server text may carry.

Terminals act on C0 and C1 control characters (``ESC [2J`` clears the screen, OSC 52
writes the clipboard, U+009B is a one-character CSI) and bidirectional overrides reorder
what a person reads. Server text is escaped visibly where it enters pixup (so the ledger
and ``history`` hold it harmless), and whatever is written is stripped once more.
"""

from __future__ import annotations

import re

# Tab and newline are kept where text is printed; where a value enters they are escaped.
PRINT_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
VALUE_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Never raw on a line of --json: JSON itself escapes only C0.
JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escaped(text: str) -> str:
    """``text`` with each unsafe character written as a visible escape (``\\x1b``)."""
    return VALUE_UNSAFE.sub(_escape, text)


def json_escaped(line: str) -> str:
    """A JSON text with the characters JSON leaves raw written as ``\\u`` escapes (they
    can stand only inside strings, where the escape means the same character)."""
    return JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def web_url_problem(url: str) -> str | None:
    """Why ``url`` is not an absolute http(s) URL a person could open, or None."""
    from urllib.parse import urlsplit

    if VALUE_UNSAFE.search(url) or any(ch.isspace() for ch in url):
        return "it holds spaces or control characters"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "it is not a URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "it is not an http(s) URL"
    if not parts.hostname:
        return "it names no host"
    return None
