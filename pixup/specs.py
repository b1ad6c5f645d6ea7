"""What providers and auth schemes declare about themselves, as plain data.

Generic code (config keys, credential resolution, login, status) is driven by these
declarations, so a provider's knowledge stays in its own module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KeySpec:
    """One config key: how its text is checked, what it is for, its environment variable."""

    name: str
    parse: Callable[[str], Any]
    help: str
    env: str | None = None
    default: Any = None


@dataclass(frozen=True)
class CredentialSpec:
    """One credential a provider needs, and where pixup looks for it.

    A secret lives in the keyring under ``store``; a value that is not secret (a user
    name, an OAuth consumer key) lives in the config file under the key ``store``. Either
    can come from the environment variable ``env``, which wins.
    """

    name: str  # what the provider calls it: "api_key", "token"
    label: str  # what a person is asked for: "TwitrPix API key"
    env: str
    secret: bool
    store: str
    login: str = "pixup config login"  # the command that stores it, for messages
    flag: str | None = None  # a `config login` option that gives it, e.g. "--consumer-key"
    stdin: bool = False  # `config login --<name>-stdin` reads it from standard input
    help: str = ""  # the config key's description, for a value that is not secret
    flag_help: str = ""  # the help of ``flag``

    @property
    def keyring(self) -> str | None:
        return self.store if self.secret else None

    @property
    def config(self) -> str | None:
        return None if self.secret else self.store

    @property
    def stdin_option(self) -> str | None:
        return f"--{self.name.replace('_', '-')}-stdin" if self.stdin else None


@dataclass(frozen=True)
class LoginStep:
    """One part of `pixup config login`. ``title`` is what the user logs in to; a
    ``shared`` step serves several providers (it is what login without --service runs,
    and logout of one provider keeps what it stored)."""

    title: str
    shared: bool = False

    @property
    def credentials(self) -> tuple[CredentialSpec, ...]:
        return ()

    @property
    def urls(self) -> tuple[KeySpec, ...]:
        """Config keys of the endpoints the step talks to."""
        return ()


@dataclass(frozen=True)
class AskValues(LoginStep):
    """Values the user has (an API key, a user name and password), stored as given."""

    values: tuple[CredentialSpec, ...] = ()
    who: CredentialSpec | None = None  # the value that names the account
    note: str | None = None  # said after storing, e.g. that nothing could be checked

    @property
    def credentials(self) -> tuple[CredentialSpec, ...]:
        return self.values


@dataclass(frozen=True)
class OAuth1Pin(LoginStep):
    """OAuth 1.0a's PIN (out-of-band) flow, or tokens obtained elsewhere (``--token``),
    checked against a verify-credentials URL before anything is stored."""

    consumer_key: CredentialSpec | None = None
    consumer_secret: CredentialSpec | None = None
    token: CredentialSpec | None = None
    token_secret: CredentialSpec | None = None
    verify_url: KeySpec | None = None
    request_token_url: KeySpec | None = None
    authorize_url: KeySpec | None = None
    access_token_url: KeySpec | None = None

    @property
    def credentials(self) -> tuple[CredentialSpec, ...]:
        return tuple(
            c
            for c in (self.consumer_key, self.consumer_secret, self.token, self.token_secret)
            if c is not None
        )

    @property
    def urls(self) -> tuple[KeySpec, ...]:
        keys = (self.verify_url, self.request_token_url, self.authorize_url, self.access_token_url)
        return tuple(k for k in keys if k is not None)


@dataclass(frozen=True)
class OAuth2Pin(LoginStep):
    """OAuth 2's PIN flow: the user opens ``{base}{authorize_path}?client_id=…&
    response_type=pin``, types the PIN, and it is traded at ``{base}{token_path}`` for an
    access and a refresh token (which later renews an expired access token unasked)."""

    client_id: CredentialSpec | None = None
    client_secret: CredentialSpec | None = None
    access_token: CredentialSpec | None = None
    refresh_token: CredentialSpec | None = None
    authorize_path: str = "/oauth2/authorize"
    token_path: str = "/oauth2/token"  # noqa: S105 (a path, not a password)

    @property
    def credentials(self) -> tuple[CredentialSpec, ...]:
        return tuple(
            c
            for c in (self.client_id, self.client_secret, self.access_token, self.refresh_token)
            if c is not None
        )
