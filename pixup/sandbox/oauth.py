"""The sandbox's side of OAuth 1.0a: real signature checks with oauthlib's server code."""

from __future__ import annotations

import threading
from typing import Any

from oauthlib.oauth1 import RequestValidator, ResourceEndpoint

from pixup.sandbox.accounts import SANDBOX


class _Validator(RequestValidator):  # type: ignore[misc]
    """Knows the one sandbox account; remembers nonces so a signed header cannot be replayed."""

    enforce_ssl = False
    # Real consumer keys and tokens are not held to oauthlib's default 20-30 characters.
    client_key_length = (4, 128)
    access_token_length = (4, 128)
    nonce_length = (4, 128)
    safe_characters = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")

    def __init__(self) -> None:
        super().__init__()
        self._nonces: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    @property
    def dummy_client(self) -> str:
        return "dummy-client-key"

    @property
    def dummy_access_token(self) -> str:
        return "dummy-access-token"

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return SANDBOX.consumer_secret if client_key == SANDBOX.consumer_key else "dummy-secret"

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return SANDBOX.token_secret if token == SANDBOX.token else "dummy-secret"

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key == SANDBOX.consumer_key

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return token == SANDBOX.token

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


_endpoint = ResourceEndpoint(_Validator())


def verify(uri: str, authorization: str, method: str = "GET") -> bool:
    """Whether ``authorization`` is a valid signature of ``method uri`` by the sandbox account."""
    valid, _ = _endpoint.validate_protected_resource_request(
        uri, http_method=method, body=None, headers={"Authorization": authorization}
    )
    return bool(valid)
