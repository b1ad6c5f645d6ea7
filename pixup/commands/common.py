"""Set-up every network command shares: config, settings and credentials, resolved once."""

from __future__ import annotations

from collections.abc import Mapping

from pixup import config as cfgmod
from pixup import credentials
from pixup.settings import Flags, Settings, resolve


def load_settings(flags: Flags, env: Mapping[str, str]) -> Settings:
    config = cfgmod.load(cfgmod.config_path(env))
    return resolve(flags, env, config, credentials.from_env(env))
