"""Where credentials may go: the policy, kept apart from the code that sends them.

Over plain ``http://`` anyone on the network path can read what is sent. The services'
own defaults are plain HTTP and loopback never leaves the machine, so those are allowed;
any other host over plain HTTP needs the user's explicit opt-in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from pixup.errors import UsageError

ALLOW_ENV = "PIXUP_ALLOW_INSECURE_HTTP"


def is_loopback(host: str) -> bool:
    """An address on loopback, or a ``localhost`` name that resolves only to loopback
    addresses: RFC 6761 reserves the names, but a resolver may still answer for them
    with any address (a DNS server asked for ``x.localhost``, an /etc/hosts entry)."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if host != "localhost" and not host.endswith(".localhost"):
        return False
    import socket

    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    return bool(found) and all(_loopback_address(info[4][0]) for info in found)


def _loopback_address(address: object) -> bool:
    try:
        return ipaddress.ip_address(str(address).split("%")[0]).is_loopback
    except ValueError:
        return False


def allowed_by_env(env: Mapping[str, str]) -> bool:
    return env.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def check_plain_http(url: str, trusted_hosts: Iterable[str], allow: bool) -> None:
    """Refuse to send credentials to ``url`` over plain HTTP unless its host is a
    service default, loopback, or the user opted in."""
    parts = urlsplit(url)
    if parts.scheme != "http" or allow:
        return
    host = (parts.hostname or "").lower()
    if host in {h.lower() for h in trusted_hosts} or is_loopback(host):
        return
    raise UsageError(
        f"refusing to send credentials to {host} over plain http://, where anyone on the "
        f"network path can read them; use https://, or opt in with --allow-insecure-http "
        f"(or {ALLOW_ENV}=1) if you trust that network"
    )


def plain_text_secrets_warning(url: str) -> str | None:
    """The warning for secrets sent as readable form fields over plain HTTP, if any."""
    parts = urlsplit(url)
    if parts.scheme != "http" or is_loopback(parts.hostname or ""):
        return None
    return (
        f"your password or secrets are sent to {parts.hostname} over plain http://, "
        "readable by anyone on the network path (the service offers no https)"
    )
