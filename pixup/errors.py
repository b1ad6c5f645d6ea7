"""Every error pixup reports to a user.

Each class carries the exit code and the ``kind`` of the ``--json`` error object, so
the commands never map exceptions to exit codes themselves.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, ClassVar

# What every output shows in place of a secret.
REDACTED = "***"


class ExitStatus(IntEnum):
    """Documented in README.md ("Exit codes") and in `pixup --help`."""

    OK = 0
    OTHER = 1
    USAGE = 2
    AUTH = 3
    REJECTED = 4
    NETWORK = 5
    SERVER = 6
    INTERRUPTED = 130


EXIT_CODES_HELP = (
    "Exit codes: 0 success; 2 usage or configuration error; 3 authentication failed or "
    "credentials missing; 4 the media was rejected (by the service or by pixup's checks); "
    "5 network error (unreachable, timeout, TLS); 6 the service failed (5xx, maintenance, "
    "unparseable answer); 1 anything else."
)


class PixupError(Exception):
    """Base of every error that ends a command with a one-line message."""

    kind: ClassVar[str] = "other"
    exit_code: ClassVar[ExitStatus] = ExitStatus.OTHER

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        # True only when the request provably did not reach the service, or the service
        # asked for a retry (503, 429): never when the body may have been received.
        self.retryable = retryable
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "http_status": self.http_status,
            "message": self.message,
        }


class UsageError(PixupError):
    kind = "usage"
    exit_code = ExitStatus.USAGE


class ConfigError(PixupError):
    kind = "config"
    exit_code = ExitStatus.USAGE


class AuthError(PixupError):
    kind = "auth"
    exit_code = ExitStatus.AUTH


class RejectedError(PixupError):
    kind = "rejected"
    exit_code = ExitStatus.REJECTED


class NetworkError(PixupError):
    kind = "network"
    exit_code = ExitStatus.NETWORK


class ServerError(PixupError):
    kind = "server"
    exit_code = ExitStatus.SERVER


class NotSetError(PixupError):
    """`pixup config get` of a key that has no value (exit 1, as `git config` does)."""

    kind = "config"
    exit_code = ExitStatus.OTHER


class Interrupted(PixupError):
    """Ctrl-C: a file that was not sent."""

    kind = "interrupted"
    exit_code = ExitStatus.INTERRUPTED


class InternalError(PixupError):
    """A bug met while handling one file: that file's failure, never the batch's."""

    kind = "internal"
    exit_code = ExitStatus.OTHER

    @classmethod
    def of(cls, exc: BaseException, http_status: int | None = None) -> InternalError:
        detail = " ".join(str(exc).split())[:300]
        return cls(
            f"internal error: {type(exc).__name__}{': ' + detail if detail else ''} "
            "(set PIXUP_DEBUG=1 for a traceback, and please report it)",
            http_status=http_status,
        )


def error_for_status(status: int, message: str, code: int | None = None) -> PixupError:
    """The error class an HTTP status implies when the body names no known error code."""
    if status in (401, 403):
        return AuthError(message, code=code, http_status=status)
    if 400 <= status < 500 and status not in (404, 405, 429):
        return RejectedError(message, code=code, http_status=status)
    return ServerError(message, code=code, http_status=status)
