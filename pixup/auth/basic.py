"""A user name and password checked by HTTP Basic auth before login stores them.

Sent through pixup.transport like every request: no redirect followed, a capped answer,
the header redacted (and its base64 form) in every log and message.
"""

from __future__ import annotations

import base64

from pixup import transport
from pixup.auth.session import LoginSession
from pixup.errors import AuthError, error_for_status
from pixup.models import RequestSpec
from pixup.specs import KeySpec


def verify(url_key: KeySpec, session: LoginSession, user: str, password: str, title: str) -> None:
    """Raise unless the URL under ``url_key`` accepts ``user`` and ``password``."""
    url = str(session.settings.target.options.get(url_key.name, url_key.default))
    credential = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    spec = RequestSpec(
        method="GET",
        url=url,
        headers={"Authorization": f"Basic {credential}"},
        secret_headers=frozenset({"Authorization"}),
    )
    session.out.add_secrets(spec.basic_credentials())
    with transport.open_session() as http:
        resp = transport.send(http, spec, session.settings.timeout, session.out.debug)
    if resp.status in (401, 403):
        raise AuthError(
            f"{url} did not accept the {title} user name and password (HTTP {resp.status}); "
            "nothing was stored",
            http_status=resp.status,
        )
    if resp.status != 200:
        raise error_for_status(
            resp.status, f"{url} answered HTTP {resp.status} to the login check; nothing was stored"
        )
