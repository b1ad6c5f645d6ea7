"""OAuth 1.0a login: the PIN (out-of-band) flow against a Twitter-compatible provider, or
tokens obtained elsewhere, checked against verify_credentials before anything is stored.

Each step is signed with pixup.oauth_echo.sign and sent through pixup.transport, so it
follows no redirect and reads a capped answer like every request.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from pixup import transport
from pixup.auth.session import LoginSession, Obtained, check_step
from pixup.errors import AuthError, error_for_status
from pixup.models import RawResponse, RequestSpec
from pixup.oauth_echo import sign
from pixup.providers import decode
from pixup.specs import KeySpec, OAuth1Pin


def _url(session: LoginSession, key: KeySpec) -> str:
    return str(session.settings.target.options.get(key.name, key.default))


def login(step: OAuth1Pin, session: LoginSession) -> Obtained:
    ck, cs, tk, ts = step.credentials
    pick = session.inputs.pick
    consumer_key = pick(ck)
    consumer_secret = pick(cs, keep_stored=True)
    session.out.add_secrets([consumer_secret])
    if session.inputs.given(tk):
        token, token_secret = pick(tk), pick(ts)
    else:
        token, token_secret = _pin_flow(step, session, consumer_key, consumer_secret)
    session.out.add_secrets([token, token_secret])
    who = verify(step, session, consumer_key, consumer_secret, token, token_secret)
    return Obtained({ck: consumer_key, cs: consumer_secret, tk: token, ts: token_secret}, who)


def _send_signed(session: LoginSession, method: str, url: str, authorization: str) -> RawResponse:
    spec = RequestSpec(
        method=method,
        url=url,
        headers={"Authorization": authorization},
        secret_headers=frozenset({"Authorization"}),
    )
    with transport.open_session() as http:
        return transport.send(http, spec, session.settings.timeout, session.out.debug)


def _oauth_post(session: LoginSession, url: str, authorization: str, what: str) -> dict[str, str]:
    resp = _send_signed(session, "POST", url, authorization)
    check_step(resp, what)
    values = dict(parse_qsl(resp.body.decode("utf-8", "replace")))
    if not values.get("oauth_token") or not values.get("oauth_token_secret"):
        raise AuthError(f"the OAuth provider's answer to the {what} has no token")
    return values


def _pin_flow(
    step: OAuth1Pin, session: LoginSession, consumer_key: str, consumer_secret: str
) -> tuple[str, str]:
    request_url = _url(session, step.request_token_url)
    request = _oauth_post(
        session,
        request_url,
        sign(
            "POST",
            request_url,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            token=None,
            token_secret=None,
            callback="oob",
        ),
        "request for a request token (check the consumer key and secret)",
    )
    page = (
        f"{_url(session, step.authorize_url)}?{urlencode({'oauth_token': request['oauth_token']})}"
    )
    session.show_page(page, "authorize pixup")
    keys = (consumer_key, consumer_secret, request["oauth_token"], request["oauth_token_secret"])
    asks = PIN_TRIES if session.inputs.ctx.prompt.available else 1
    for left in range(asks - 1, -1, -1):
        try:
            access = _exchange(step, session, keys, session.inputs.pin(session.out))
            break
        except AuthError as err:
            # A mistyped PIN: the request token still stands, so ask again, not log in anew.
            if err.http_status not in (400, 401) or not left:
                raise
            session.out.warn(f"{err.message}; try again ({left} left)")
    return access["oauth_token"], access["oauth_token_secret"]


# How many times a person at a terminal may type the PIN.
PIN_TRIES = 3


def _exchange(
    step: OAuth1Pin, session: LoginSession, keys: tuple[str, str, str, str], pin: str
) -> dict[str, str]:
    """The request token and the PIN, signed, for the access token."""
    consumer_key, consumer_secret, token, token_secret = keys
    access_url = _url(session, step.access_token_url)
    return _oauth_post(
        session,
        access_url,
        sign(
            "POST",
            access_url,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            token=token,
            token_secret=token_secret,
            verifier=pin,
        ),
        "PIN",
    )


def verify(
    step: OAuth1Pin,
    session: LoginSession,
    consumer_key: str,
    consumer_secret: str,
    token: str,
    token_secret: str,
) -> str:
    """The screen name the tokens belong to, from the verify-credentials URL."""
    url = _url(session, step.verify_url)
    authorization = sign(
        "GET",
        url,
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        token=token,
        token_secret=token_secret,
    )
    resp = _send_signed(session, "GET", url, authorization)
    if resp.status in (401, 403):
        raise AuthError(
            f"the OAuth provider did not accept the access token (HTTP {resp.status}); nothing was stored",
            http_status=resp.status,
        )
    if resp.status != 200:
        raise error_for_status(
            resp.status, f"verify_credentials answered HTTP {resp.status}; nothing was stored"
        )
    doc = decode.load(resp, "json")
    name = decode.scalar(doc.get("screen_name"))
    return f"@{name}" if name else "(unknown user)"
