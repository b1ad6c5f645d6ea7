"""The TOML config file: where it lives, which keys it takes, and safe reads and writes.

It holds settings only, never a secret. Writes go to a temporary file that replaces the
old one in a single rename, under an exclusive lock, so a crash or a concurrent
``pixup config set`` never leaves a half-written file or loses a key.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pixup.errors import ConfigError

CONFIG_FILENAME = "config.toml"
APP_NAME = "pixup"


def config_dir(env: Mapping[str, str]) -> Path:
    override = env.get("PIXUP_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    from typer import get_app_dir

    return Path(get_app_dir(APP_NAME))


def config_path(env: Mapping[str, str]) -> Path:
    return config_dir(env) / CONFIG_FILENAME


# --- keys -------------------------------------------------------------------------


def parse_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http:// or https:// URL")
    if parts.username or parts.password:
        raise ValueError("the URL must not carry a user name or password")
    if parts.query or parts.fragment:
        raise ValueError("a base URL takes no query or fragment")
    return text.strip().rstrip("/")


def parse_request_url(text: str) -> str:
    """A custom provider's whole upload URL: a query is allowed (and template calls)."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{text!r} is not an http:// or https:// URL")
    if "@" in parts.netloc:
        raise ValueError("the URL must not carry a user name or password")
    return text.strip()


def parse_service(text: str) -> str:
    from pixup import providers

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


def parse_timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise ValueError("the timeout must be more than 0 and at most 3600 seconds")
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError(f"{text!r} is not one of: {', '.join(choices)}")
        return value

    return parse


def _api_choice(apis: tuple[int, ...]) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if text.strip() not in {str(a) for a in apis}:
            raise ValueError(f"{text!r} is not one of: {', '.join(map(str, apis))}")
        return int(text)

    return parse


_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
}


def parse_size(text: str) -> int:
    """A byte count: ``4194304``, ``4MB``, ``4M``, ``1.5GiB`` (binary units, as the services'
    "4MB" limits are)."""
    raw = text.strip().lower().replace(" ", "")
    number = raw.rstrip("kmgib")
    unit = raw[len(number) :]
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise ValueError(f"{text!r} is not a size (e.g. 4MB, 500K, 1G)") from None
    if value < 1:
        raise ValueError("the size must be at least 1 byte")
    return int(value)


def parse_switch(text: str) -> bool:
    value = text.strip().lower()
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise ValueError(f"{text!r} is not one of: on, off")


def parse_name(text: str) -> str:
    value = text.strip()
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"{text!r} must be one word with no spaces")
    return value


OAUTH_DEFAULTS = {
    "oauth.request_token_url": "https://api.twitter.com/oauth/request_token",
    "oauth.authorize_url": "https://api.twitter.com/oauth/authorize",
    "oauth.access_token_url": "https://api.twitter.com/oauth/access_token",
}


@dataclass(frozen=True)
class KeySpec:
    name: str
    parse: Callable[[str], Any]
    help: str
    env: str | None = None


def service_env_prefix(service: str) -> str:
    return "PIXUP_" + "".join(c if c.isalnum() else "_" for c in service.upper())


def key_specs(custom: bool = True) -> dict[str, KeySpec]:
    """Every config key, in the order `config list` shows them; with ``custom=False``,
    without the custom providers' keys (which means reading their files)."""
    from pixup import providers

    specs = [
        KeySpec(
            "service",
            parse_service,
            "the default service",
            "PIXUP_SERVICE",
        ),
        KeySpec("timeout", parse_timeout, "network timeout in seconds", "PIXUP_TIMEOUT"),
        KeySpec("history", parse_switch, "record uploads in the history (on/off)", "PIXUP_HISTORY"),
        KeySpec(
            "oauth.verify_credentials_url",
            parse_url,
            "the OAuth Echo provider (verify-credentials) URL",
            "PIXUP_OAUTH_VERIFY_CREDENTIALS_URL",
        ),
        *(
            KeySpec(
                key,
                parse_url,
                f"OAuth provider: {key.split('.')[1]}",
                "PIXUP_" + key.upper().replace(".", "_"),
            )
            for key in OAUTH_DEFAULTS
        ),
        KeySpec(
            "oauth.consumer_key",
            parse_name,
            "your Twitter application's consumer key (not secret)",
            "PIXUP_OAUTH_CONSUMER_KEY",
        ),
        KeySpec("imgly.username", parse_name, "img.ly API 1 user name", "PIXUP_USERNAME"),
    ]
    chosen = providers.all_providers() if custom else [providers.get(n) for n in providers.BUILTIN]
    for p in chosen:
        prefix = service_env_prefix(p.name)
        specs += [
            KeySpec(
                f"{p.name}.url",
                parse_url if p.name in providers.BUILTIN else parse_request_url,
                f"{p.title} base URL" if p.name in providers.BUILTIN else f"{p.title} upload URL",
                f"{prefix}_URL",
            ),
            KeySpec(
                f"{p.name}.api", _api_choice(p.apis), f"{p.title} API version", f"{prefix}_API"
            ),
            KeySpec(
                f"{p.name}.max_size",
                parse_size,
                f"{p.title} size limit checked before uploading (e.g. 4MB)",
                f"{prefix}_MAX_SIZE",
            ),
            KeySpec(
                f"{p.name}.format",
                _choice(p.formats),
                f"{p.title} answer format",
                f"{prefix}_FORMAT",
            ),
        ]
    return {s.name: s for s in specs}


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


# --- the file ---------------------------------------------------------------------


@dataclass
class ConfigFile:
    path: Path
    data: dict[str, Any]

    def get(self, key: str) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return None if isinstance(node, dict) else node

    def get_valid(self, key: str) -> Any:
        """The value of ``key`` checked as `config set` would; a bad one names the file."""
        raw = self.get(key)
        if raw is None:
            return None
        try:
            return spec_for(key).parse(str(raw))
        except ValueError as exc:
            raise ConfigError(f"{self.path}: bad value for {key}: {exc}") from None

    def set(self, key: str, value: Any) -> None:
        *parents, leaf = key.split(".")
        node = self.data
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value

    def unset(self, key: str) -> bool:
        *parents, leaf = key.split(".")
        chain = [self.data]
        for part in parents:
            child = chain[-1].get(part)
            if not isinstance(child, dict):
                return False
            chain.append(child)
        if leaf not in chain[-1]:
            return False
        del chain[-1][leaf]
        # Drop tables the removal left empty, so the file does not fill with `[x]` stubs.
        for parent, part in zip(reversed(chain[:-1]), reversed(parents), strict=True):
            if not parent[part]:
                del parent[part]
        return True

    def items(self) -> Iterator[tuple[str, Any]]:
        for key in key_specs():
            value = self.get(key)
            if value is not None:
                yield key, value


def load(path: Path) -> ConfigFile:
    """Read the config file; a missing file is an empty config, a broken one an error."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ConfigFile(path, {})
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    # Imported only when there is a file to read: most runs of thumb-url have none.
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the config file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return ConfigFile(path, data)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: the atomic rename still protects the file itself.
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def update(path: Path, change: Callable[[ConfigFile], None]) -> ConfigFile:
    """Re-read, change and atomically rewrite the config file under a lock."""
    import tomli_w

    _make_dir(path.parent)
    try:
        with _locked(path):
            cfg = load(path)
            change(cfg)
            _replace(path, tomli_w.dumps(cfg.data).encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the config file: {exc.strerror}") from None
    return cfg


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all, readable by the user only."""
    _make_dir(path.parent)
    try:
        _replace(path, data)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write it: {exc.strerror}") from None


def _make_dir(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"{directory}: cannot create the config directory: {exc.strerror}"
        ) from None


def _replace(path: Path, data: bytes) -> None:
    """Temp file, fsync, chmod 0600, rename: a reader sees the old file or the new one."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
