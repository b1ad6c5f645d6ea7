"""The config keys: every setting pixup takes, as the providers declare them.

The registry is built once per set of providers (not on every lookup), and the built-in
keys are found without reading the custom providers' files.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pixup import providers
from pixup.config import ConfigFile
from pixup.errors import ConfigError
from pixup.providers.base import Provider
from pixup.specs import KeySpec
from pixup.values import (
    api_choice,
    choice,
    env_prefix,
    parse_request_url,
    parse_size,
    parse_switch,
    parse_timeout,
    parse_url,
)


def parse_service(text: str) -> str:
    value = text.strip().lower()
    if value in providers.BUILTIN:
        return value
    broken = providers.broken()
    if value in broken:
        raise ValueError(f"the provider {value} cannot be used: {broken[value]}")
    names = providers.names()
    if value not in names:
        raise ValueError(f"{text!r} is not one of: {', '.join(names)}")
    return value


GENERAL = (
    KeySpec("service", parse_service, "the default service", "PIXUP_SERVICE"),
    KeySpec("timeout", parse_timeout, "network timeout in seconds", "PIXUP_TIMEOUT"),
    KeySpec("history", parse_switch, "record uploads in the history (on/off)", "PIXUP_HISTORY"),
)


def _provider_keys(p: Provider) -> list[KeySpec]:
    prefix = env_prefix(p.name)
    builtin = p.name in providers.BUILTIN
    return [
        KeySpec(
            f"{p.name}.url",
            parse_url if builtin else parse_request_url,
            f"{p.title} base URL" if builtin else f"{p.title} upload URL",
            f"{prefix}_URL",
        ),
        KeySpec(f"{p.name}.api", api_choice(p.apis), f"{p.title} API version", f"{prefix}_API"),
        KeySpec(
            f"{p.name}.max_size",
            parse_size,
            f"{p.title} size limit checked before uploading (e.g. 4MB)",
            f"{prefix}_MAX_SIZE",
        ),
        KeySpec(
            f"{p.name}.format", choice(p.formats), f"{p.title} answer format", f"{prefix}_FORMAT"
        ),
    ]


@lru_cache(maxsize=4)
def _specs(names: tuple[str, ...]) -> dict[str, KeySpec]:
    chosen = [providers.get(name) for name in names]
    # What providers share (the OAuth endpoints and consumer key) comes once, before the
    # keys of each provider.
    specs = [*GENERAL, *(k for p in chosen for k in p.config_keys())]
    for p in chosen:
        specs += _provider_keys(p)
    return {s.name: s for s in specs}


def key_specs(custom: bool = True) -> dict[str, KeySpec]:
    """Every config key, in the order `config list` shows them; with ``custom=False``,
    without the custom providers' keys (which means reading their files)."""
    return _specs(tuple(providers.names() if custom else providers.BUILTIN))


def spec_for(key: str) -> KeySpec:
    # The built-in keys first: most commands never need the custom providers loaded.
    specs = key_specs(custom=False)
    if key not in specs:
        specs = key_specs()
    try:
        return specs[key]
    except KeyError:
        raise ConfigError(f"unknown config key {key!r}; valid keys: {', '.join(specs)}") from None


def validate(key: str, value: str) -> Any:
    spec = spec_for(key)
    try:
        return spec.parse(value)
    except ValueError as exc:
        raise ConfigError(f"bad value for {key}: {exc}") from None


def valid_value(cfg: ConfigFile, key: str) -> Any:
    """The value of ``key`` in the file, checked as `config set` would; a bad one names
    the file."""
    raw = cfg.get(key)
    if raw is None:
        return None
    try:
        return spec_for(key).parse(str(raw))
    except ValueError as exc:
        raise ConfigError(f"{cfg.path}: bad value for {key}: {exc}") from None
