"""The TOML config file: safe reads and writes of the file itself.

It holds settings only, never a secret. Which keys it takes and how each is checked is
:mod:`pixup.keys`; where it lives is :mod:`pixup.paths`. Writes go to a temporary file
that replaces the old one in a single rename, under an exclusive lock, so a crash or a
concurrent ``pixup config set`` never leaves a half-written file or loses a key.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pixup.errors import ConfigError

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

    def items(self, keys: Iterable[str]) -> Iterator[tuple[str, Any]]:
        """The values set among ``keys``, in their order."""
        for key in keys:
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
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
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
    """Temp file, fsync, chmod 0600, rename: a reader sees the old file or the new one.
    A symlinked file (dotfiles kept elsewhere) is written through to its target, beside
    which the temp file is made, and stays a symlink."""
    import tempfile

    if path.is_symlink():
        path = Path(os.path.realpath(path))
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
