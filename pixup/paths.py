"""Where pixup keeps its files, in one platform convention.

Linux and other Unixes follow the XDG base directories (``$XDG_CONFIG_HOME/pixup``,
``$XDG_DATA_HOME/pixup``); macOS keeps both under ``~/Library/Application Support/pixup``;
Windows keeps settings in ``%APPDATA%`` (they roam) and data in ``%LOCALAPPDATA%``.
``PIXUP_CONFIG_DIR`` and ``PIXUP_DATA_DIR`` override each. Every path is worked out from the
environment the caller passes, so tests and the run context decide, never ``os.environ``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "pixup"
CONFIG_FILENAME = "config.toml"


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or Path.home())


def config_dir(env: Mapping[str, str]) -> Path:
    override = env.get("PIXUP_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    if sys.platform == "darwin":
        return _home(env) / "Library" / "Application Support" / APP_NAME
    if sys.platform == "win32":
        return Path(env.get("APPDATA") or _home(env)) / APP_NAME
    return Path(env.get("XDG_CONFIG_HOME") or _home(env) / ".config") / APP_NAME


def data_dir(env: Mapping[str, str]) -> Path:
    override = env.get("PIXUP_DATA_DIR")
    if override:
        return Path(override).expanduser()
    if sys.platform == "darwin":
        return _home(env) / "Library" / "Application Support" / APP_NAME
    if sys.platform == "win32":
        return Path(env.get("LOCALAPPDATA") or _home(env)) / APP_NAME
    return Path(env.get("XDG_DATA_HOME") or _home(env) / ".local" / "share") / APP_NAME


def config_path(env: Mapping[str, str]) -> Path:
    return config_dir(env) / CONFIG_FILENAME


def providers_dir(env: Mapping[str, str]) -> Path:
    """The custom providers' definition files."""
    return config_dir(env) / "providers"
