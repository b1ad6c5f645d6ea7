"""OAuth 2 login with a PIN, and the renewal of an expired access token.

The user opens ``{base}{authorize_path}?client_id=…&response_type=pin``, authorizes
pixup and types the PIN it shows; ``POST {base}{token_path}`` with ``grant_type=pin``
trades it for an access and a refresh token. When the service later refuses the access
token, ``grant_type=refresh_token`` gets a new one without asking anything.
"""

from __future__ import annotations

from urllib.parse import urlencode

from pixup import transport
from pixup.auth.session import LoginSession, Obtained, check_step
from pixup.errors import AuthError
from pixup.models import RawResponse, RequestSpec
from pixup.providers import decode
from pixup.specs import OAuth2Pin


def login(step: OAuth2Pin, session: LoginSession) -> Obtained:
    cid, csecret, access, refresh_ = step.credentials
    client_id = session.inputs.pick(cid)
    client_secret = session.inputs.pick(csecret, keep_stored=True)
    session.out.add_secrets([client_secret])
    base = session.settings.target.base
    query = urlencode({"client_id": client_id, "response_type": "pin"})
    session.show_page(f"{base}{step.authorize_path}?{query}", f"authorize pixup at {step.title}")
    pin = session.inputs.pin(session.out)
    answer = _token_request(
        session.settings.target.base + step.token_path,
        {"client_id": client_id, "client_secret": client_secret, "grant_type": "pin", "pin": pin},
        session.settings.timeout,
        "PIN",
        session.out.debug,
    )
    tokens = _tokens(answer)
    session.out.add_secrets(tokens)
    who = decode.scalar(decode.load(answer, "json").get("account_username"))
    values = {cid: client_id, csecret: client_secret, access: tokens[0], refresh_: tokens[1]}
    return Obtained(values, who or "(unknown user)")


def refresh(
    step: OAuth2Pin, token_url: str, values: dict[str, str], timeout: float
) -> tuple[str, str]:
    """A new access token (and refresh token) for the ones in ``values`` (by credential
    name); an :class:`AuthError` when the refresh token is refused too."""
    cid, csecret, _, refresh_ = step.credentials
    answer = _token_request(
        token_url,
        {
            "client_id": values.get(cid.name, ""),
            "client_secret": values.get(csecret.name, ""),
            "grant_type": "refresh_token",
            "refresh_token": values.get(refresh_.name, ""),
        },
        timeout,
        "refresh token (log in again with `pixup config login --account`)",
    )
    return _tokens(answer)


def _token_request(
    url: str, form: dict[str, str], timeout: float, what: str, log: transport.Log | None = None
) -> RawResponse:
    spec = RequestSpec(
        method="POST",
        url=url,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode(form).encode("ascii"),
    )
    with transport.open_session() as http:
        resp = transport.send(http, spec, timeout, log)
    check_step(resp, what)
    return resp


def _tokens(resp: RawResponse) -> tuple[str, str]:
    doc = decode.load(resp, "json")
    access, refresh_ = (
        decode.scalar(doc.get("access_token")),
        decode.scalar(doc.get("refresh_token")),
    )
    if not access or not refresh_:
        raise AuthError("the OAuth provider's answer has no access and refresh token")
    return access, refresh_
