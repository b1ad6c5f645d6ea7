"""Where each credential comes from, resolved in one place, for the specs providers declare.

Order, first that has a value: environment variable (``PIXUP_*``), then the keyring for
secrets or the config file for values that are not secret (consumer key, img.ly user
name), then a prompt (only when a person can answer; hidden input for secrets), else an
error naming what is missing and how to provide it. A credential found in the environment
never waits on the keyring. No value ever goes to argv, the config file, a log or a message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from pixup.config import ConfigFile
from pixup.errors import AuthError
from pixup.keystore import KeyringUnavailable, KeyStore
from pixup.models import Credentials
from pixup.specs import CredentialSpec

Prompt = Callable[[CredentialSpec], str | None]


@dataclass(frozen=True)
class Resolved:
    credentials: Credentials
    sources: dict[str, str]  # name -> env | keyring | config | prompt
    missing: list[CredentialSpec]
    keyring_error: KeyringUnavailable | None


class _Finder:
    def __init__(self, env: Mapping[str, str], config: ConfigFile, store: KeyStore) -> None:
        self.env, self.config, self.store = env, config, store
        self.keyring_error: KeyringUnavailable | None = None

    def stored(self, spec: CredentialSpec) -> tuple[str | None, str]:
        """From the environment, then the config file or the keyring."""
        value = self.env.get(spec.env) or None
        if value is not None:
            return value, "env"
        if spec.config:
            raw = self.config.get(spec.config)
            return (str(raw) if raw else None), "config"
        if spec.keyring and self.store.enabled:
            try:
                return self.store.get(spec.keyring), "keyring"
            except KeyringUnavailable as exc:
                self.keyring_error = exc
        return None, ""


def lookup(
    specs: Iterable[CredentialSpec],
    env: Mapping[str, str],
    config: ConfigFile,
    store: KeyStore,
    prompt: Prompt | None = None,
) -> Resolved:
    """Find each credential; never raises for a missing one (see :func:`resolve`)."""
    wanted = list(specs)
    finder = _Finder(env, config, store)
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for spec in wanted:
        value, source = finder.stored(spec)
        if value is None and prompt is not None:
            value, source = prompt(spec) or None, "prompt"
        if value is not None:
            values[spec.name], sources[spec.name] = value, source
    public = frozenset(s.name for s in wanted if not s.secret)
    return Resolved(
        Credentials(values, public),
        sources,
        [s for s in wanted if s.name not in values],
        finder.keyring_error,
    )


def resolve(
    specs: Iterable[CredentialSpec],
    where: str,
    env: Mapping[str, str],
    config: ConfigFile,
    store: KeyStore,
    prompt: Prompt | None = None,
) -> Credentials:
    """The credentials ``specs`` for ``where``, or an :class:`AuthError` saying exactly
    which are missing, where pixup looked, and how to provide them."""
    found = lookup(specs, env, config, store, prompt)
    if not found.missing:
        return found.credentials
    missing = found.missing
    how = sorted({s.login for s in missing})
    message = (
        f"missing credentials for {where}: {', '.join(s.label for s in missing)}; "
        f"set {', '.join(s.env for s in missing)} in the environment, or run "
        f"`{'` and `'.join(how)}`"
    )
    if found.keyring_error is not None:
        message += f" (the keyring could not be read: {found.keyring_error.message})"
    raise AuthError(message)
