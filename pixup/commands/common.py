"""Set-up every network command shares: config, settings and credentials, resolved once."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace

from pixup import config as cfgmod
from pixup import credentials
from pixup.keystore import KeyStore
from pixup.paths import config_path
from pixup.settings import Flags, Settings, resolve


def load_settings(flags: Flags, env: Mapping[str, str]) -> Settings:
    """Settings without credentials (ping, thumb-url need none)."""
    return resolve(flags, env, cfgmod.load(config_path(env)))


def with_credentials(
    settings: Settings,
    names: tuple[str, ...],
    env: Mapping[str, str],
    *,
    interactive: bool,
) -> Settings:
    """``settings`` with the credentials ``names`` filled in (see pixup.credentials)."""
    config = cfgmod.load(config_path(env))
    found = credentials.resolve(
        names,
        f"{settings.provider.name} API {settings.target.api}"
        if len(settings.provider.apis) > 1
        else settings.provider.name,
        env,
        config,
        KeyStore(env),
        prompt=credentials.terminal_prompt if interactive else None,
    )
    return replace(settings, found_credentials=found)


def at_terminal() -> bool:
    """Whether a person can answer a prompt."""
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
