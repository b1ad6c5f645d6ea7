"""The Twitter OAuth 1.0a account that TwitrPix and img.ly API 2 both use.

Its credentials serve both services (OAuth Echo, and TwitrPix API 1's form fields), so
they are declared once here, with the endpoints of the PIN flow that obtains them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pixup.oauth_echo import DEFAULT_VERIFY_URL
from pixup.specs import CredentialSpec, KeySpec, OAuth1Pin
from pixup.values import parse_url

if TYPE_CHECKING:
    from pixup.models import Credentials
    from pixup.providers.base import Target

VERIFY_KEY = "oauth.verify_credentials_url"


def _url_key(name: str, default: str) -> KeySpec:
    return KeySpec(
        f"oauth.{name}",
        parse_url,
        f"OAuth provider: {name}",
        f"PIXUP_OAUTH_{name.upper()}",
        default=default,
    )


CONSUMER_KEY = CredentialSpec(
    "consumer_key",
    "OAuth consumer key",
    "PIXUP_OAUTH_CONSUMER_KEY",
    secret=False,
    store="oauth.consumer_key",
    flag="--consumer-key",
    flag_help="Your Twitter application's consumer key.",
    help="your Twitter application's consumer key (not secret)",
)
CONSUMER_SECRET = CredentialSpec(
    "consumer_secret",
    "OAuth consumer secret",
    "PIXUP_OAUTH_CONSUMER_SECRET",
    secret=True,
    store="oauth.consumer_secret",
    stdin=True,
)
TOKEN = CredentialSpec(
    "token",
    "OAuth access token",
    "PIXUP_OAUTH_TOKEN",
    secret=True,
    store="oauth.token",
    flag="--token",
    flag_help="Store this access token instead of the PIN flow.",
)
TOKEN_SECRET = CredentialSpec(
    "token_secret",
    "OAuth access token secret",
    "PIXUP_OAUTH_TOKEN_SECRET",
    secret=True,
    store="oauth.token_secret",
    stdin=True,
)
OAUTH = (CONSUMER_KEY, CONSUMER_SECRET, TOKEN, TOKEN_SECRET)

TWITTER = OAuth1Pin(
    title="Twitter",
    shared=True,
    consumer_key=CONSUMER_KEY,
    consumer_secret=CONSUMER_SECRET,
    token=TOKEN,
    token_secret=TOKEN_SECRET,
    verify_url=KeySpec(
        VERIFY_KEY,
        parse_url,
        "the OAuth Echo provider (verify-credentials) URL",
        "PIXUP_OAUTH_VERIFY_CREDENTIALS_URL",
        default=DEFAULT_VERIFY_URL,
    ),
    request_token_url=_url_key("request_token_url", "https://api.twitter.com/oauth/request_token"),
    authorize_url=_url_key("authorize_url", "https://api.twitter.com/oauth/authorize"),
    access_token_url=_url_key("access_token_url", "https://api.twitter.com/oauth/access_token"),
)


def echo_auth(target: Target, creds: Credentials) -> dict[str, str]:
    """OAuth Echo headers for an upload (see :mod:`pixup.oauth_echo`)."""
    from pixup.oauth_echo import echo_headers

    return echo_headers(
        str(target.options.get(VERIFY_KEY, DEFAULT_VERIFY_URL)),
        consumer_key=creds[CONSUMER_KEY.name],
        consumer_secret=creds[CONSUMER_SECRET.name],
        token=creds[TOKEN.name],
        token_secret=creds[TOKEN_SECRET.name],
    )
