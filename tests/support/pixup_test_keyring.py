"""Real keyring backends for the tests (set with keyring.set_keyring, or in a subprocess
with PYTHON_KEYRING_BACKEND=pixup_test_keyring.FileKeyring and this folder on PYTHONPATH).

FileKeyring keeps its entries in the JSON file named by PIXUP_TEST_KEYRING_FILE, read at
each call, so a test's subprocesses and its in-process runs share one keyring.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError, PasswordSetError


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]
    _lock = threading.Lock()

    def _path(self) -> Path:
        return Path(os.environ["PIXUP_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._path().read_text())
        except FileNotFoundError:
            return {}
        return data

    def _save(self, data: dict[str, str]) -> None:
        tmp = self._path().with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self._path())

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        if os.environ.get("PIXUP_TEST_KEYRING_READONLY"):
            raise PasswordSetError("this test keyring refuses writes")
        with self._lock:
            data = self._load()
            data[f"{service}/{username}"] = password
            self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            data = self._load()
            if data.pop(f"{service}/{username}", None) is None:
                raise PasswordDeleteError("not found")
            self._save(data)


class HangingKeyring(KeyringBackend):
    """A Secret Service stuck on D-Bus: every call blocks."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        time.sleep(60)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        time.sleep(60)

    def delete_password(self, service: str, username: str) -> None:
        time.sleep(60)


class LockedKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")


class OddKeyring(KeyringBackend):
    """A backend that answers with something other than text (bytes, a number)."""

    priority = 1  # type: ignore[assignment]
    answers: tuple[object, ...] = (b"bytes-not-text", 12345, ["a", "list"])

    def get_password(self, service: str, username: str) -> str | None:
        index = int(os.environ.get("PIXUP_TEST_ODD_ANSWER", "0"))
        return self.answers[index]  # type: ignore[return-value]

    def set_password(self, service: str, username: str, password: str) -> None:
        pass

    def delete_password(self, service: str, username: str) -> None:
        pass
