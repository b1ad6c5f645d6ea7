"""Secrets in the system keyring (service name ``pixup``), with every call bounded in time.

A Secret Service stuck on D-Bus, or a locked keyring waiting for a password prompt nobody
will answer, must not hang pixup: each call runs in a worker thread and is given up after
``PIXUP_KEYRING_TIMEOUT`` seconds (default 5). Every failure becomes a
:class:`KeyringUnavailable` whose message names the alternatives. keyring is imported only
when a call is made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TypeVar

from pixup.errors import AuthError, ConfigError
from pixup.values import parse_timeout

SERVICE = "pixup"
DEFAULT_TIMEOUT = 5.0

T = TypeVar("T")

ALTERNATIVES = (
    "set the credentials in environment variables (PIXUP_*), or choose a keyring backend "
    "with PYTHON_KEYRING_BACKEND, or run with --no-keyring"
)


class KeyringUnavailable(AuthError):
    """The keyring cannot be used; the message says why and what to do instead."""


def disabled(env: Mapping[str, str]) -> bool:
    return env.get("PIXUP_NO_KEYRING", "").strip().lower() in ("1", "true", "yes", "on")


def _timeout(text: str | None) -> float:
    if not text:
        return DEFAULT_TIMEOUT
    try:
        return parse_timeout(text)
    except ValueError as exc:
        raise ConfigError(f"bad value for PIXUP_KEYRING_TIMEOUT: {exc}") from None


class KeyStore:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.enabled = not disabled(env)
        self.timeout = _timeout(env.get("PIXUP_KEYRING_TIMEOUT"))
        self._broken: KeyringUnavailable | None = None

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        if not self.enabled:
            raise KeyringUnavailable("the keyring is turned off (--no-keyring or PIXUP_NO_KEYRING)")
        if self._broken is not None:
            # One failure is enough: do not wait out the timeout again for every credential.
            raise self._broken
        results: list[T] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                results.append(fn())
            except BaseException as exc:  # handed to the calling thread below
                errors.append(exc)

        worker = threading.Thread(target=work, name=f"pixup-keyring-{what}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            self._broken = KeyringUnavailable(
                f"the system keyring did not answer within {self.timeout:g}s (a locked keyring "
                f"or a stuck Secret Service?); {ALTERNATIVES}"
            )
            raise self._broken
        if errors:
            self._broken = _explain(errors[0])
            raise self._broken
        return results[0]

    def get(self, name: str) -> str | None:
        def read() -> str | None:
            import keyring

            value: object = keyring.get_password(SERVICE, name)
            if value is not None and not isinstance(value, str):
                # A backend's bug, reported as the keyring's failure, never its value.
                raise TypeError(f"the backend answered with {type(value).__name__}, not text")
            return value

        return self._call("get", read)

    def set(self, name: str, value: str) -> None:
        def write() -> None:
            import keyring

            keyring.set_password(SERVICE, name, value)

        self._call("set", write)

    def set_all(self, secrets: Mapping[str, str]) -> None:
        """All or nothing: a keyring that fails half-way is rolled back."""
        done: list[str] = []
        try:
            for name, value in secrets.items():
                self.set(name, value)
                done.append(name)
        except KeyringUnavailable as exc:
            for name in done:
                try:
                    self.delete(name)
                except KeyringUnavailable:
                    break
            raise AuthError(f"nothing was stored: {exc.message}") from None

    def delete(self, name: str) -> bool:
        def remove() -> bool:
            import keyring
            from keyring.errors import PasswordDeleteError

            try:
                keyring.delete_password(SERVICE, name)
            except PasswordDeleteError:
                return False
            return True

        return self._call("delete", remove)

    def backend_name(self) -> str:
        def name() -> str:
            import keyring

            backend = keyring.get_keyring()
            return f"{type(backend).__module__}.{type(backend).__name__}"

        return self._call("backend", name)


# What a person knows each common keyring backend as (--json keeps the class path).
_KNOWN_BACKENDS = {
    "keyring.backends.SecretService.Keyring": "Secret Service (GNOME Keyring, KWallet)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.libsecret.Keyring": "Secret Service (libsecret)",
    "keyring.backends.fail.Keyring": "no keyring",
    "keyring.backends.null.Keyring": "no keyring (turned off)",
}


def backend_title(path: str) -> str:
    """``keyring.backends.macOS.Keyring`` as a person knows it: "macOS Keychain"."""
    return _KNOWN_BACKENDS.get(path, path)  # another backend: its own name says most


def _explain(exc: BaseException) -> KeyringUnavailable:
    """keyring's many failures (no backend, locked, D-Bus errors) as one clear message.
    The exception text may come from a backend; it never carries the secret."""
    kind = type(exc).__name__
    if kind == "NoKeyringError" or "No recommended backend" in str(exc):
        return KeyringUnavailable(f"no system keyring is available on this machine; {ALTERNATIVES}")
    if kind == "KeyringLocked":
        return KeyringUnavailable(f"the system keyring is locked; unlock it, or {ALTERNATIVES}")
    detail = " ".join(str(exc).split())[:200]
    return KeyringUnavailable(
        f"the system keyring failed ({kind}{': ' + detail if detail else ''}); {ALTERNATIVES}"
    )
