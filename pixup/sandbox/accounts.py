"""The sandbox's one account. These values are public on purpose: they unlock nothing
but a local sandbox, and `pixup sandbox` prints them when it starts."""

from __future__ import annotations

import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    api_key: str = "sandbox-api-key-0123456789"
    consumer_key: str = "sandboxconsumerkey00001"
    consumer_secret: str = "sandbox-consumer-secret-42"
    token: str = "42-sandboxaccesstoken0001"
    token_secret: str = "sandbox-token-secret-42"
    username: str = "sandboxuser"
    password: str = "sandbox-password-42"
    user_id: str = "42"
    screen_name: str = "sandboxuser"
    # What the sandbox's generic image hosts (/hosts/...) take, for custom providers.
    host_token: str = "sandbox-host-token-77"
    host_key: str = "sandbox-host-key-99"
    # The sandbox's Imgur application (API 3): anonymous uploads, and the OAuth 2 PIN flow.
    imgur_client_id: str = "sandbox-imgur-client-7"
    imgur_client_secret: str = "sandbox-imgur-client-secret-8"

    def urls(self, base_url: str) -> dict[str, str]:
        """The environment that points pixup's services and OAuth provider at a sandbox."""
        return {
            "PIXUP_TWITRPIX_URL": base_url,
            "PIXUP_IMGLY_URL": base_url,
            "PIXUP_IMGUR_URL": base_url,
            "PIXUP_OAUTH_REQUEST_TOKEN_URL": f"{base_url}/oauth/request_token",
            "PIXUP_OAUTH_AUTHORIZE_URL": f"{base_url}/oauth/authorize",
            "PIXUP_OAUTH_ACCESS_TOKEN_URL": f"{base_url}/oauth/access_token",
            "PIXUP_OAUTH_VERIFY_CREDENTIALS_URL": f"{base_url}/1/account/verify_credentials.json",
        }

    def environment(self, base_url: str) -> dict[str, str]:
        """The URLs above and the sandbox account's credentials, for scripts and tests."""
        return {
            **self.urls(base_url),
            "PIXUP_TWITRPIX_API_KEY": self.api_key,
            "PIXUP_OAUTH_CONSUMER_KEY": self.consumer_key,
            "PIXUP_OAUTH_CONSUMER_SECRET": self.consumer_secret,
            "PIXUP_OAUTH_TOKEN": self.token,
            "PIXUP_OAUTH_TOKEN_SECRET": self.token_secret,
            "PIXUP_USERNAME": self.username,
            "PIXUP_PASSWORD": self.password,
            "PIXUP_IMGUR_CLIENT_ID": self.imgur_client_id,
        }


SANDBOX = Account()


def same(given: str | None, expected: str) -> bool:
    """Whether a credential a client sent is ``expected``, in time that does not depend
    on how much of it matches (``hmac.compare_digest``)."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def one_of(given: str | None, expected: set[str]) -> bool:
    """Whether ``given`` is one of the issued ``expected`` values, compared each the same way."""
    return any([same(given, value) for value in expected])  # every one, not the first
