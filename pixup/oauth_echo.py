"""OAuth Echo: the image host checks the user's identity by replaying a signed request.

pixup signs a ``GET`` of the verify-credentials URL with OAuth 1.0a HMAC-SHA1 and hands
the header to the image host in ``X-Verify-Credentials-Authorization``; the POST to the
image host itself is not signed. oauthlib is imported only when a request is signed.
"""

from __future__ import annotations

from pixup.errors import AuthError

DEFAULT_VERIFY_URL = "https://api.twitter.com/1/account/verify_credentials.json"
ECHO_REALM = "http://api.twitter.com/"
ECHO_AUTH_HEADER = "X-Verify-Credentials-Authorization"
ECHO_PROVIDER_HEADER = "X-Auth-Service-Provider"


def sign(
    method: str,
    url: str,
    *,
    consumer_key: str,
    consumer_secret: str,
    token: str | None,
    token_secret: str | None,
    body: str | None = None,
    realm: str | None = None,
    nonce: str | None = None,
    timestamp: str | None = None,
    with_version: bool = True,
    callback: str | None = None,
    verifier: str | None = None,
) -> str:
    """The ``Authorization`` header value for a request signed with HMAC-SHA1.

    ``nonce`` and ``timestamp`` are fixed only by tests that check published vectors;
    ``with_version=False`` drops the optional ``oauth_version`` as RFC 5849's example does.
    """
    from oauthlib.oauth1 import Client

    class _Client(Client):  # type: ignore[misc]
        def get_oauth_params(self, request: object) -> list[tuple[str, str]]:
            params: list[tuple[str, str]] = super().get_oauth_params(request)
            return params if with_version else [p for p in params if p[0] != "oauth_version"]

    client = _Client(
        consumer_key,
        client_secret=consumer_secret,
        resource_owner_key=token,
        resource_owner_secret=token_secret,
        realm=realm,
        nonce=nonce,
        timestamp=timestamp,
        callback_uri=callback,
        verifier=verifier,
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    try:
        _, signed, _ = client.sign(url, http_method=method, body=body, headers=headers)
    except ValueError as exc:
        # oauthlib refuses URLs and parameters it cannot sign; the message names no secret.
        raise AuthError(f"cannot sign the OAuth Echo request: {exc}") from None
    value: str = signed["Authorization"]
    return value


def echo_headers(
    verify_url: str,
    *,
    consumer_key: str,
    consumer_secret: str,
    token: str,
    token_secret: str,
    nonce: str | None = None,
    timestamp: str | None = None,
) -> dict[str, str]:
    """The two headers an OAuth Echo upload carries."""
    authorization = sign(
        "GET",
        verify_url,
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        token=token,
        token_secret=token_secret,
        realm=ECHO_REALM,
        nonce=nonce,
        timestamp=timestamp,
    )
    return {ECHO_PROVIDER_HEADER: verify_url, ECHO_AUTH_HEADER: authorization}
