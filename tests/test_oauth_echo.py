"""OAuth 1.0a signing against published vectors, and the sandbox's real verification."""

from __future__ import annotations

import re
import time

from pixup.oauth_echo import (
    DEFAULT_VERIFY_URL,
    ECHO_AUTH_HEADER,
    ECHO_PROVIDER_HEADER,
    echo_headers,
    sign,
)
from pixup.sandbox import oauth as server_side
from pixup.sandbox.accounts import SANDBOX


def _signature(header: str) -> str:
    match = re.search(r'oauth_signature="([^"]+)"', header)
    assert match, header
    from urllib.parse import unquote

    return unquote(match.group(1))


def test_twitter_published_example_statuses_update() -> None:
    # https://developer.twitter.com "Creating a signature" (1.1 statuses/update).
    header = sign(
        "POST",
        "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
        consumer_key="xvz1evFS4wEEPTGEFPHBog",
        consumer_secret="kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        token_secret="LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
        body="status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21",
        nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
        timestamp="1318622958",
    )
    assert _signature(header) == "hCtSmYh+iHYCEqBWrE7C7hYmtUk="


def test_rfc5849_section_1_2_example() -> None:
    header = sign(
        "GET",
        "http://photos.example.net/photos?file=vacation.jpg&size=original",
        consumer_key="dpf43f3p2l4k3l03",
        consumer_secret="kd94hf93k423kf44",
        token="nnch734d00sl2jdk",
        token_secret="pfkkdhi9sl3r4s00",
        realm="Photos",
        nonce="chapoH",
        timestamp="137131202",
        with_version=False,
    )
    assert _signature(header) == "MdpQcU8iPSUjWoN/UDMsK2sui9I="
    assert header.startswith('OAuth realm="Photos"')


def test_a_changed_secret_changes_the_signature() -> None:
    args = dict(
        consumer_key="dpf43f3p2l4k3l03",
        token="nnch734d00sl2jdk",
        token_secret="pfkkdhi9sl3r4s00",
        nonce="chapoH",
        timestamp="137131202",
        with_version=False,
    )
    a = sign("GET", "http://photos.example.net/photos", consumer_secret="kd94hf93k423kf44", **args)  # type: ignore[arg-type]
    b = sign("GET", "http://photos.example.net/photos", consumer_secret="kd94hf93k423kf45", **args)  # type: ignore[arg-type]
    assert _signature(a) != _signature(b)


def _sandbox_headers(url: str = DEFAULT_VERIFY_URL) -> dict[str, str]:
    return echo_headers(
        url,
        consumer_key=SANDBOX.consumer_key,
        consumer_secret=SANDBOX.consumer_secret,
        token=SANDBOX.token,
        token_secret=SANDBOX.token_secret,
    )


def test_echo_headers_sign_a_get_of_the_provider_url_with_twitters_realm() -> None:
    headers = _sandbox_headers()
    assert headers[ECHO_PROVIDER_HEADER] == DEFAULT_VERIFY_URL
    auth = headers[ECHO_AUTH_HEADER]
    assert auth.startswith('OAuth realm="http://api.twitter.com/"')
    assert 'oauth_signature_method="HMAC-SHA1"' in auth
    assert f'oauth_token="{SANDBOX.token}"' in auth
    # The secrets themselves are never in the header.
    assert SANDBOX.consumer_secret not in auth and SANDBOX.token_secret not in auth


def test_server_side_accepts_a_fresh_signature_once() -> None:
    auth = _sandbox_headers()[ECHO_AUTH_HEADER]
    assert server_side.verify(DEFAULT_VERIFY_URL, auth)
    # The same nonce again is a replay.
    assert not server_side.verify(DEFAULT_VERIFY_URL, auth)


def test_server_side_rejects_wrong_secret_url_and_stale_timestamp() -> None:
    wrong = echo_headers(
        DEFAULT_VERIFY_URL,
        consumer_key=SANDBOX.consumer_key,
        consumer_secret="not-the-secret",
        token=SANDBOX.token,
        token_secret=SANDBOX.token_secret,
    )[ECHO_AUTH_HEADER]
    assert not server_side.verify(DEFAULT_VERIFY_URL, wrong)
    # Signed for one URL, presented for another.
    other = _sandbox_headers("https://example.invalid/verify.json")[ECHO_AUTH_HEADER]
    assert not server_side.verify(DEFAULT_VERIFY_URL, other)
    stale = echo_headers(
        DEFAULT_VERIFY_URL,
        consumer_key=SANDBOX.consumer_key,
        consumer_secret=SANDBOX.consumer_secret,
        token=SANDBOX.token,
        token_secret=SANDBOX.token_secret,
        timestamp=str(int(time.time()) - 3600),
    )[ECHO_AUTH_HEADER]
    assert not server_side.verify(DEFAULT_VERIFY_URL, stale)
