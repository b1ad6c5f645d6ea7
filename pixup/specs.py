"""What providers and auth schemes declare about themselves, as plain data.

Generic code (config keys, credential resolution, login, status) is driven by these
declarations, so a provider's knowledge stays in its own module. They are NamedTuples,
not dataclasses: every command imports them, and a dataclass costs a millisecond or two
to create where a NamedTuple costs a fraction of one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Union


class KeySpec(NamedTuple):
    """One config key: how its text is checked, what it is for, its environment variable."""

    name: str
    parse: Callable[[str], Any]
    help: str
    env: str | None = None
    default: Any = None


class CredentialSpec(NamedTuple):
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


# The login steps: one part of `pixup config login` each. ``title`` is what the user logs
# in to; a ``shared`` step serves several providers (it is what login without --service
# runs, and logout of one provider keeps what it stored). Each has ``credentials`` (what
# it stores) and ``urls`` (the config keys of the endpoints it talks to).


class AskValues(NamedTuple):
    """Values the user has (an API key, a user name and password), stored as given or
    once ``verify`` has accepted them."""

    title: str
    values: tuple[CredentialSpec, ...] = ()
    who: CredentialSpec | None = None  # the value that names the account
    note: str | None = None  # said after storing, e.g. that nothing could be checked
    shared: bool = False
    # A URL (config key) that checks ``who`` and the step's secret by HTTP Basic auth
    # before anything is stored; None: stored as given.
    verify: KeySpec | None = None

    @property
    def credentials(self) -> tuple[CredentialSpec, ...]:
        return self.values

    @property
    def urls(self) -> tuple[KeySpec, ...]:
        return (self.verify,) if self.verify is not None else ()


class OAuth1Pin(NamedTuple):
    """OAuth 1.0a's PIN (out-of-band) flow, or tokens obtained elsewhere (``--token``),
    checked against a verify-credentials URL before anything is stored."""

    title: str
    consumer_key: CredentialSpec
    consumer_secret: CredentialSpec
    token: CredentialSpec
    token_secret: CredentialSpec
    verify_url: KeySpec
    request_token_url: KeySpec
    authorize_url: KeySpec
    access_token_url: KeySpec
    shared: bool = False

    @property
    def credentials(self) -> tuple[CredentialSpec, ...]:
        return (self.consumer_key, self.consumer_secret, self.token, self.token_secret)

    @property
    def urls(self) -> tuple[KeySpec, ...]:
        return (self.verify_url, self.request_token_url, self.authorize_url, self.access_token_url)


class OAuth2Pin(NamedTuple):
    """OAuth 2's PIN flow: the user opens ``{base}{authorize_path}?client_id=…&
    response_type=pin``, types the PIN, and it is traded at ``{base}{token_path}`` for an
    access and a refresh token (which later renews an expired access token unasked)."""

    title: str
    client_id: CredentialSpec
    client_secret: CredentialSpec
    access_token: CredentialSpec
    refresh_token: CredentialSpec
    authorize_path: str = "/oauth2/authorize"
    token_path: str = "/oauth2/token"  # noqa: S105 (a path, not a password)
    shared: bool = False

    @property
    def credentials(self) -> tuple[CredentialSpec, ...]:
        return (self.client_id, self.client_secret, self.access_token, self.refresh_token)

    @property
    def urls(self) -> tuple[KeySpec, ...]:
        return ()


LoginStep = Union[AskValues, OAuth1Pin, OAuth2Pin]  # noqa: UP007 - a runtime alias
