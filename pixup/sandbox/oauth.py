"""The sandbox's side of OAuth 1.0a: real signature checks with oauthlib's server code."""

from __future__ import annotations

import secrets
import threading
from typing import Any

from oauthlib.oauth1 import (
    AccessTokenEndpoint,
    RequestTokenEndpoint,
    RequestValidator,
    ResourceEndpoint,
)

from pixup.sandbox.accounts import SANDBOX, same


class _Validator(RequestValidator):  # type: ignore[misc]
    """Knows the one sandbox account; remembers nonces so a signed header cannot be replayed."""

    enforce_ssl = False
    # The services signed Echo and their OAuth with HMAC-SHA1 and took nothing else.
    allowed_signature_methods = ("HMAC-SHA1",)
    # Real consumer keys and tokens are not held to oauthlib's default 20-30 characters.
    client_key_length = (4, 128)
    access_token_length = (4, 128)
    nonce_length = (4, 128)
    request_token_length = (4, 128)
    verifier_length = (4, 64)
    realms: list[str] = []  # noqa: RUF012 - oauthlib reads it as a plain attribute
    safe_characters = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")

    def __init__(self) -> None:
        super().__init__()
        self._nonces: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        # request token -> {"secret", "client", "verifier"}
        self.request_tokens: dict[str, dict[str, str]] = {}

    @property
    def dummy_client(self) -> str:
        return "dummy-client-key"

    @property
    def dummy_access_token(self) -> str:
        return "dummy-access-token"

    @property
    def dummy_request_token(self) -> str:
        return "dummy-request-token"

    # --- the PIN (out-of-band) flow --------------------------------------------------

    def get_default_realms(self, client_key: str, request: Any) -> list[str]:
        return []

    def get_realms(self, token: str, request: Any) -> list[str]:
        return []

    def validate_requested_realms(self, client_key: str, realms: Any, request: Any) -> bool:
        return True

    def validate_redirect_uri(self, client_key: str, redirect_uri: str, request: Any) -> bool:
        return redirect_uri == "oob"

    def save_request_token(self, token: dict[str, str], request: Any) -> None:
        with self._lock:
            self.request_tokens[token["oauth_token"]] = {
                "secret": token["oauth_token_secret"],
                "client": request.client_key,
                "verifier": "",
            }

    def validate_request_token(self, client_key: str, token: str, request: Any) -> bool:
        entry = self.request_tokens.get(token)
        return entry is not None and entry["client"] == client_key

    def get_request_token_secret(self, client_key: str, token: str, request: Any) -> str:
        entry = self.request_tokens.get(token)
        return entry["secret"] if entry else "dummy-secret"

    def validate_verifier(self, client_key: str, token: str, verifier: str, request: Any) -> bool:
        entry = self.request_tokens.get(token)
        return bool(
            entry and entry["verifier"] and secrets.compare_digest(entry["verifier"], verifier)
        )

    def invalidate_request_token(self, client_key: str, request_token: str, request: Any) -> None:
        with self._lock:
            self.request_tokens.pop(request_token, None)

    def save_access_token(self, token: dict[str, str], request: Any) -> None:
        pass

    def get_client_secret(self, client_key: str, request: Any) -> str:
        known = same(client_key, SANDBOX.consumer_key)
        return SANDBOX.consumer_secret if known else "dummy-secret"

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return SANDBOX.token_secret if same(token, SANDBOX.token) else "dummy-secret"

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return same(client_key, SANDBOX.consumer_key)

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return same(token, SANDBOX.token)

    def validate_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        key = (client_key, timestamp, nonce)
        with self._lock:
            if key in self._nonces:
                return False
            self._nonces.add(key)
        return True


_validator = _Validator()
_endpoint = ResourceEndpoint(_validator)
_request_tokens = RequestTokenEndpoint(_validator)
_access_tokens = AccessTokenEndpoint(_validator)


def verify(uri: str, authorization: str | None, method: str = "GET") -> bool:
    """Whether ``method uri`` is validly signed by the sandbox account: in the
    ``authorization`` header, or with the OAuth parameters in the URI's query."""
    headers = {"Authorization": authorization} if authorization else {}
    valid, _ = _endpoint.validate_protected_resource_request(
        uri, http_method=method, body=None, headers=headers
    )
    return bool(valid)


def request_token(uri: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    """Step 1: a signed POST with ``oauth_callback=oob`` gets a request token."""
    _, text, status = _request_tokens.create_request_token_response(
        uri, http_method="POST", body=body, headers=headers
    )
    return status, text or ""


def authorize(token: str) -> str | None:
    """Step 2: the user approves (the sandbox account always does) and is shown a PIN."""
    entry = _validator.request_tokens.get(token)
    if entry is None:
        return None
    entry["verifier"] = f"{secrets.randbelow(10**7):07d}"
    return entry["verifier"]


def access_token(uri: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    """Step 3: the request token and the PIN, signed, become the sandbox access token."""
    _, text, status = _access_tokens.create_access_token_response(
        uri,
        http_method="POST",
        body=body,
        headers=headers,
        credentials={
            "oauth_token": SANDBOX.token,
            "oauth_token_secret": SANDBOX.token_secret,
            "user_id": SANDBOX.user_id,
            "screen_name": SANDBOX.screen_name,
        },
    )
    return status, text or ""
