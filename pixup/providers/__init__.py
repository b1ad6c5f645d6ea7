"""The provider registry: ``--service NAME`` to the provider that speaks its protocol.

Importing this module must stay cheap (no requests, no XML parser): `thumb-url` and
`--help` go through it.
"""

from __future__ import annotations

from pixup.errors import UsageError
from pixup.providers.base import Provider, Target
from pixup.providers.imgly import Imgly
from pixup.providers.twitrpix import TwitrPix

__all__ = ["Provider", "Target", "get", "names", "register"]

_REGISTRY: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    """Add a provider; a user-defined one may not shadow a built-in name."""
    if provider.name in _REGISTRY:
        raise UsageError(f"a provider named {provider.name!r} already exists")
    _REGISTRY[provider.name] = provider


def get(name: str) -> Provider:
    try:
        return _REGISTRY[name.lower()]
    except KeyError:
        raise UsageError(f"unknown service {name!r}; choose one of: {', '.join(names())}") from None


def names() -> list[str]:
    return list(_REGISTRY)


def all_providers() -> list[Provider]:
    return list(_REGISTRY.values())


register(TwitrPix())
register(Imgly())
