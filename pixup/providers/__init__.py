"""The provider registry: ``--service NAME`` to the provider that speaks its protocol.

Built-in providers are registered at import; the user's own (``<config dir>/providers/
*.toml``, see :mod:`pixup.providers.custom`) join the first time the registry is asked.
Importing this module must stay cheap (no requests, no XML parser): `thumb-url` and
`--help` go through it, and with no provider files nothing more than a directory listing
is added.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pixup.errors import ConfigError, PixupError, UsageError
from pixup.paths import providers_dir
from pixup.providers.base import Provider, Target
from pixup.providers.imgly import Imgly
from pixup.providers.imgur import Imgur
from pixup.providers.twitrpix import TwitrPix
from pixup.specs import CredentialSpec

__all__ = ["Provider", "Target", "get", "names", "register"]

# The built-in providers, in the order they are listed; the first is the default service.
BUILTIN_PROVIDERS: tuple[Provider, ...] = (TwitrPix(), Imgly(), Imgur())
BUILTIN = tuple(p.name for p in BUILTIN_PROVIDERS)

_REGISTRY: dict[str, Provider] = {}
# User providers whose files could not be loaded: name -> why, said when one is used.
_BROKEN: dict[str, str] = {}
_user_loaded = False


def register(provider: Provider) -> None:
    """Add a provider; a user-defined one may not shadow a built-in name."""
    if provider.name in _REGISTRY:
        raise UsageError(f"a provider named {provider.name!r} already exists")
    _REGISTRY[provider.name] = provider


def _ensure_user() -> None:
    global _user_loaded
    if not _user_loaded:
        _user_loaded = True
        # The process environment: every command resolves its config directory from it.
        load_user(os.environ)


def load_user(env: Mapping[str, str]) -> None:
    """Register every provider file; a broken one is remembered, not fatal, so one bad
    file does not stop uploads to the others."""
    folder = providers_dir(env)
    try:
        entries = sorted(e.name for e in os.scandir(folder) if e.is_file())
    except OSError:
        return
    from pixup.providers.custom import load_file

    for entry in entries:
        if not entry.endswith(".toml"):
            continue
        path = folder / entry
        name = entry[: -len(".toml")]
        if name in BUILTIN:
            _BROKEN[name] = f"{path} is ignored: {name} is a built-in provider"
            continue
        try:
            register(load_file(path))
        except PixupError as err:
            _BROKEN[name] = f"{path}: {err.message}"


def get(name: str) -> Provider:
    key = name.lower()
    if key in _REGISTRY:
        return _REGISTRY[key]
    _ensure_user()
    if key in _REGISTRY:
        return _REGISTRY[key]
    if key in _BROKEN:
        raise ConfigError(f"the provider {key} cannot be used: {_BROKEN[key]}")
    raise UsageError(f"unknown service {name!r}; choose one of: {', '.join(names())}")


def names() -> list[str]:
    _ensure_user()
    return list(_REGISTRY)


def builtin() -> list[Provider]:
    """The providers pixup ships, without reading the user's provider files."""
    return [_REGISTRY[name] for name in BUILTIN]


def login_credentials() -> list[CredentialSpec]:
    """Every credential a built-in provider's login can take, once each: the source of
    `config login`'s --… and --…-stdin options."""
    steps = (s for p in builtin() for s in p.every_login_step())
    specs = (c for s in steps for c in s.credentials)
    return list({c.name: c for c in specs}.values())


def all_providers() -> list[Provider]:
    _ensure_user()
    return list(_REGISTRY.values())


def broken() -> dict[str, str]:
    _ensure_user()
    return dict(_BROKEN)


for _builtin in BUILTIN_PROVIDERS:
    register(_builtin)
