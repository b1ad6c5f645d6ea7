"""Where each credential comes from, resolved in one place.

Order, first that has a value: environment variable (``PIXUP_*``), then the keyring for
secrets or the config file for the two values that are not secret (consumer key, img.ly
user name), then a prompt (only at a terminal; hidden input for secrets), else an error
naming what is missing and how to provide it. A credential found in the environment never
waits on the keyring. No value ever goes to argv, the config file, a log or a message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from pixup.config import ConfigFile
from pixup.errors import AuthError
from pixup.keystore import KeyringUnavailable, KeyStore
from pixup.models import Credentials
from pixup.values import env_prefix


@dataclass(frozen=True)
class CredentialSpec:
    name: str  # the Credentials field
    label: str
    env: str
    secret: bool
    keyring: str | None = None  # where a secret lives in the keyring
    config: str | None = None  # where a non-secret value lives in the config file
    login: str = "pixup config login"


SPECS: dict[str, CredentialSpec] = {
    s.name: s
    for s in (
        CredentialSpec(
            "api_key",
            "TwitrPix API key",
            "PIXUP_TWITRPIX_API_KEY",
            True,
            keyring="twitrpix.api_key",
            login="pixup config login --service twitrpix",
        ),
        CredentialSpec(
            "consumer_key",
            "OAuth consumer key",
            "PIXUP_OAUTH_CONSUMER_KEY",
            False,
            config="oauth.consumer_key",
        ),
        CredentialSpec(
            "consumer_secret",
            "OAuth consumer secret",
            "PIXUP_OAUTH_CONSUMER_SECRET",
            True,
            keyring="oauth.consumer_secret",
        ),
        CredentialSpec(
            "token", "OAuth access token", "PIXUP_OAUTH_TOKEN", True, keyring="oauth.token"
        ),
        CredentialSpec(
            "token_secret",
            "OAuth access token secret",
            "PIXUP_OAUTH_TOKEN_SECRET",
            True,
            keyring="oauth.token_secret",
        ),
        CredentialSpec(
            "username",
            "img.ly API 1 user name",
            "PIXUP_USERNAME",
            False,
            config="imgly.username",
            login="pixup config login --service imgly --api 1",
        ),
        CredentialSpec(
            "password",
            "img.ly API 1 password",
            "PIXUP_PASSWORD",
            True,
            keyring="imgly.password",
            login="pixup config login --service imgly --api 1",
        ),
    )
}


def spec_for(name: str) -> CredentialSpec:
    """The spec of a built-in credential, or of a custom provider's secret
    ("<provider>.<secret>": ``PIXUP_<PROVIDER>_<SECRET>``, keyring entry of the same name)."""
    if name in SPECS:
        return SPECS[name]
    provider, _, secret = name.partition(".")
    return CredentialSpec(
        name,
        f"{provider} secret {secret!r}",
        f"{env_prefix(provider)}_{secret.upper()}",
        True,
        keyring=name,
        login=f"pixup provider secret {provider} {secret}",
    )


# Kept for the environment-only callers and the README's table.
ENV_VARS: dict[str, str] = {name: spec.env for name, spec in SPECS.items()}

Prompt = Callable[[CredentialSpec], str | None]


@dataclass(frozen=True)
class Resolved:
    credentials: Credentials
    sources: dict[str, str]  # name -> env | keyring | config | prompt
    missing: list[str]
    keyring_error: KeyringUnavailable | None


def lookup(
    names: Iterable[str],
    env: Mapping[str, str],
    config: ConfigFile,
    store: KeyStore,
    prompt: Prompt | None = None,
) -> Resolved:
    """Find each named credential; never raises for a missing one (see :func:`resolve`)."""
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    keyring_error: KeyringUnavailable | None = None
    for name in names:
        spec = spec_for(name)
        value = env.get(spec.env) or None
        source = "env"
        if value is None and spec.config:
            raw = config.get(spec.config)
            value, source = (str(raw) if raw else None), "config"
        if value is None and spec.keyring and store.enabled:
            try:
                value, source = store.get(spec.keyring), "keyring"
            except KeyringUnavailable as exc:
                keyring_error = exc
        if value is None and prompt is not None:
            value, source = prompt(spec) or None, "prompt"
        if value is not None:
            values[name] = value
            sources[name] = source
    missing = [n for n in names if n not in values]
    builtin = {k: v for k, v in values.items() if k in SPECS}
    extra = {k: v for k, v in values.items() if k not in SPECS}
    return Resolved(Credentials(**builtin, extra=extra), sources, missing, keyring_error)


def resolve(
    names: tuple[str, ...],
    where: str,
    env: Mapping[str, str],
    config: ConfigFile,
    store: KeyStore,
    prompt: Prompt | None = None,
) -> Credentials:
    """The credentials ``names`` for ``where``, or an :class:`AuthError` saying exactly
    which are missing, where pixup looked, and how to provide them."""
    found = lookup(names, env, config, store, prompt)
    if not found.missing:
        return found.credentials
    specs = [spec_for(n) for n in found.missing]
    how = sorted({s.login for s in specs})
    message = (
        f"missing credentials for {where}: {', '.join(s.label for s in specs)}; "
        f"set {', '.join(s.env for s in specs)} in the environment, or run "
        f"`{'` and `'.join(how)}`"
    )
    if found.keyring_error is not None:
        message += f" (the keyring could not be read: {found.keyring_error.message})"
    raise AuthError(message)
