"""Plain data passed between the pure provider functions and the I/O around them.

Nothing here imports requests: a provider builds a :class:`RequestSpec` and parses a
:class:`RawResponse`, and only ``transport`` turns one into the other over the network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pixup.errors import REDACTED


@dataclass(frozen=True)
class Credentials:
    """The credentials one upload needs, by the names its provider declared them under
    (see pixup.specs.CredentialSpec). ``repr`` shows no value."""

    values: Mapping[str, str] = field(default_factory=dict, repr=False)
    # The names whose values are not secret (a user name): they may be shown in
    # --dry-run and -v output. Every other value is redacted everywhere.
    public: frozenset[str] = frozenset()

    def __getitem__(self, name: str) -> str:
        return self.values.get(name) or ""

    def secret_values(self) -> list[str]:
        """Values that must never appear in any output, longest first."""
        values = [v for k, v in self.values.items() if k not in self.public and v]
        return sorted(values, key=len, reverse=True)


@dataclass(frozen=True)
class FilePart:
    """A file sent as one multipart field, streamed from disk at send time."""

    field: str
    path: Path
    filename: str
    content_type: str
    base64: bool = False
    # The open file to send from (read from its start on each attempt); else ``path``.
    # (``field`` is this class's attribute: the dataclasses function is named in full.)
    source: IO[bytes] | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclass
class RequestSpec:
    """One HTTP request, described without performing it."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[FilePart] = field(default_factory=list)
    # Names of form fields and headers whose values are secret, for redaction.
    secret_fields: frozenset[str] = frozenset()
    secret_headers: frozenset[str] = frozenset()
    # Instead of a multipart form: a body of bytes (form, JSON, XML; its Content-Type is
    # among the headers), or a file sent as the whole body, streamed from disk.
    body: bytes | None = None
    body_file: FilePart | None = None

    def basic_credentials(self) -> list[str]:
        """The base64 ``user:password`` of secret Basic headers: a secret of its own, which
        a server echoing the header would otherwise show whole."""
        found = []
        for name in self.secret_headers:
            scheme, _, credential = self.headers.get(name, "").partition(" ")
            if scheme.lower() == "basic" and credential.strip():
                found.append(credential.strip())
        return found

    def redacted(self) -> dict[str, Any]:
        """The request as shown by --dry-run and -v: every secret replaced."""
        return {
            "method": self.method,
            "url": self.url,
            "headers": {
                k: (REDACTED if k in self.secret_headers else v) for k, v in self.headers.items()
            },
            "fields": [[k, REDACTED if k in self.secret_fields else v] for k, v in self.fields],
            "files": [
                {
                    "field": f.field,
                    "path": str(f.path),
                    "filename": f.filename,
                    "content_type": f.content_type,
                    "encoding": "base64" if f.base64 else "binary",
                }
                for f in self.files
            ],
            **({"body": {"bytes": len(self.body)}} if self.body is not None else {}),
            **(
                {
                    "body": {
                        "path": str(self.body_file.path),
                        "content_type": self.body_file.content_type,
                        "encoding": "binary",
                    }
                }
                if self.body_file is not None
                else {}
            ),
        }


@dataclass(frozen=True)
class RawResponse:
    """What came back: status, headers (lower-cased names) and at most the capped body."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class UploadOptions:
    """What the user asked for, the same for every file of one command."""

    message: str | None = None
    post: bool = False
    base64: bool = False
    tags: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class UploadParams:
    """One file to upload, as the pre-flight checks found it, and the options for it."""

    path: Path
    filename: str
    content_type: str
    options: UploadOptions = UploadOptions()
    # The file as pre-flight opened and checked it: every attempt sends from it.
    source: IO[bytes] | None = field(default=None, compare=False, repr=False)
    # Answers a provider's questions ({prompt}, {select}) at the terminal, for this run.
    ask: Callable[[str, str, list[str] | None], str | None] | None = field(
        default=None, compare=False, repr=False
    )


@dataclass(frozen=True)
class Media:
    id: str | None = None
    url: str | None = None
    thumb_url: str | None = None
    full_url: str | None = None
    deletion_url: str | None = None
    text: str | None = None
    width: int | None = None
    height: int | None = None
    size: int | None = None
    type: str | None = None
    timestamp: str | None = None


@dataclass(frozen=True)
class User:
    id: str | None = None
    screen_name: str | None = None
    profile_url: str | None = None


@dataclass(frozen=True)
class UploadResult:
    media: Media
    user: User = User()
    status_id: str | None = None


@dataclass(frozen=True)
class PingResult:
    """``status`` is ``pong``, ``maintenance`` or ``up`` (a service without a ping answered)."""

    status: str
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("pong", "up")
