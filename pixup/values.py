"""Parsers for the values pixup takes from flags, the environment and files.

Each takes text and returns the value, or raises ``ValueError`` with a message fit to show
after "bad value for X: ". They know nothing of where the text came from. ``iec_size`` is
the way back for sizes: a byte count as it is shown to a person.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit


def parse_url(text: str) -> str:
    """A base URL: http(s), a host, no credentials, no query or fragment."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http:// or https:// URL")
    if parts.username or parts.password:
        raise ValueError("the URL must not carry a user name or password")
    if parts.query or parts.fragment:
        raise ValueError("a base URL takes no query or fragment")
    return text.strip().rstrip("/")


def parse_request_url(text: str) -> str:
    """A custom provider's whole upload URL: a query is allowed (and template calls)."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{text!r} is not an http:// or https:// URL")
    if "@" in parts.netloc:
        raise ValueError("the URL must not carry a user name or password")
    return text.strip()


def parse_timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise ValueError("the timeout must be more than 0 and at most 3600 seconds")
    return value


def choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError(f"{text!r} is not one of: {', '.join(choices)}")
        return value

    return parse


def api_choice(apis: tuple[int, ...]) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if text.strip() not in {str(a) for a in apis}:
            raise ValueError(f"{text!r} is not one of: {', '.join(map(str, apis))}")
        return int(text)

    return parse


_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
}


def parse_size(text: str) -> int:
    """A byte count: ``4194304``, ``4MB``, ``4M``, ``1.5GiB`` (binary units, as the services'
    "4MB" limits are)."""
    raw = text.strip().lower().replace(" ", "")
    number = raw.rstrip("kmgib")
    unit = raw[len(number) :]
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise ValueError(f"{text!r} is not a size (e.g. 4MB, 500K, 1G)") from None
    if value < 1:
        raise ValueError("the size must be at least 1 byte")
    return int(value)


def iec_size(size: int) -> str:
    """Bytes as a person reads them, in powers of 1024 named so (KiB, MiB, GiB)."""
    value, unit = float(size), "bytes"
    for name in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, name
    return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"


def parse_switch(text: str) -> bool:
    value = text.strip().lower()
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise ValueError(f"{text!r} is not one of: on, off")


def parse_name(text: str) -> str:
    value = text.strip()
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"{text!r} must be one word with no spaces")
    return value


def env_prefix(name: str) -> str:
    """``PIXUP_<NAME>``: the prefix of a provider's environment variables."""
    return "PIXUP_" + "".join(c if c.isalnum() else "_" for c in name.upper())
