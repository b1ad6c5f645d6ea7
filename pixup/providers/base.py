"""What every provider offers the commands: pure request builders and response parsers.

A provider never performs I/O. Built-in providers subclass :class:`Provider` in code;
providers a user describes as data can subclass it too and join the same registry.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pixup.errors import PixupError, UsageError
from pixup.specs import CredentialSpec, KeySpec, LoginStep

if TYPE_CHECKING:
    # Only for annotations: thumb-url and config go through this module, and creating
    # pixup.models' dataclasses costs them milliseconds for nothing.
    from pixup.models import (
        Credentials,
        FilePart,
        PingResult,
        RawResponse,
        RequestSpec,
        UploadParams,
        UploadResult,
    )

FORMATS = ("json", "xml")
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Target:
    """Where and how to talk to a service, resolved from flags, environment and config."""

    base_url: str
    api: int
    format: str = "json"
    # The values of the provider's own config keys (its auth endpoints), by key.
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")


class Provider(ABC):
    name: str
    title: str
    default_base_url: str
    apis: tuple[int, ...]
    default_api: int
    formats: tuple[str, ...] = FORMATS
    thumb_sizes: tuple[str, ...]
    default_thumb_size: str
    # Hosts whose URLs belong to this service, so `thumb-url URL` can tell the service.
    hosts: frozenset[str] = frozenset()
    # The largest file the service takes; checked before any byte is sent.
    max_size: int | None = 4 * 1024 * 1024
    # What the service takes, as judged by pixup.media.sniff_type.
    accepted_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif")

    # Every credential the provider may use, declared once (see pixup.specs).
    credentials: tuple[CredentialSpec, ...] = ()

    @abstractmethod
    def required_credentials(self, api: int, post: bool) -> tuple[CredentialSpec, ...]:
        """The credentials an upload with ``api`` needs."""

    def optional_credentials(self, api: int) -> tuple[CredentialSpec, ...]:
        """Credentials an upload uses when they are there (never asked for): an account's
        token beside the anonymous key, say."""
        return ()

    def login_steps(self, api: int, account: bool) -> tuple[LoginStep, ...]:
        """What `pixup config login` does for ``api``; ``account``: as the user's account
        (``--account``), where the provider has an anonymous way too."""
        return ()

    def every_login_step(self) -> tuple[LoginStep, ...]:
        steps = (s for api in self.apis for a in (False, True) for s in self.login_steps(api, a))
        return tuple(dict.fromkeys(steps))

    def config_keys(self) -> tuple[KeySpec, ...]:
        """The provider's own config keys beyond url/api/format/max_size: its login
        endpoints, and the credentials that are not secret (kept in the config file)."""
        from pixup.values import parse_name

        urls = self.option_keys()
        values = [
            KeySpec(c.store, parse_name, c.help or c.label, c.env)
            for c in self.credentials
            if not c.secret
        ]
        return tuple({k.name: k for k in [*urls, *values]}.values())

    def option_keys(self) -> tuple[KeySpec, ...]:
        """The config keys of its login endpoints: their values reach the provider's
        builders as ``Target.options``."""
        keys = (k for step in self.every_login_step() for k in step.urls)
        return tuple({k.name: k for k in keys}.values())

    def own_credentials(self) -> tuple[CredentialSpec, ...]:
        """Its credentials that no shared login step (another provider's too) holds."""
        shared = {c for step in self.every_login_step() if step.shared for c in step.credentials}
        return tuple(c for c in self.credentials if c not in shared)

    @abstractmethod
    def build_upload(
        self, target: Target, params: UploadParams, creds: Credentials
    ) -> RequestSpec: ...

    @abstractmethod
    def parse_upload(
        self, target: Target, resp: RawResponse, filename: str = ""
    ) -> UploadResult: ...

    def delete_needs_credentials(self) -> bool:
        """Whether :meth:`build_delete` sends this service's credentials."""
        return False

    def build_delete(
        self, target: Target, deletion_url: str, creds: Credentials | None
    ) -> RequestSpec:
        """The request that deletes an upload, from the deletion URL the ledger recorded.
        ShareX's convention: open it with GET, no credentials (a secret is in the URL)."""
        from pixup.models import RequestSpec

        return RequestSpec(method="GET", url=deletion_url)

    def redirect_answers(self) -> bool:
        """Whether a 3xx answer to an upload is this service's answer (its Location names
        the upload; :meth:`parse_upload` reads it, nothing follows it); else a redirect
        is refused, since following it could carry the credentials elsewhere."""
        return False

    def answer_error(self, target: Target, resp: RawResponse) -> PixupError | None:
        """A failure this service signals in a way the generic handling of 429 and 503
        (retry, after Retry-After) would get wrong, e.g. a quota that is spent for the
        day; None to leave the answer to that handling and to :meth:`parse_upload`."""
        return None

    @abstractmethod
    def build_ping(self, target: Target) -> RequestSpec: ...

    @abstractmethod
    def parse_ping(self, target: Target, resp: RawResponse) -> PingResult: ...

    @abstractmethod
    def media_url(self, target: Target, media_id: str) -> str: ...

    @abstractmethod
    def thumb_url(self, target: Target, media_id: str, size: str) -> str: ...

    def is_default_base(self, target: Target) -> bool:
        return target.base == self.default_base_url.rstrip("/")

    def check_api(self, api: int) -> int:
        if api not in self.apis:
            raise UsageError(
                f"{self.name} has no API {api}; choose one of: {', '.join(map(str, self.apis))}"
            )
        return api

    def check_size(self, size: str) -> str:
        if size not in self.thumb_sizes:
            raise UsageError(
                f"{self.name} has no thumbnail size {size!r}; choose one of: "
                f"{', '.join(self.thumb_sizes)}"
            )
        return size

    def media_id_from_url(self, url: str) -> str:
        """The media id in one of the service's URLs: its last path segment."""
        segments = [s for s in urlsplit(url).path.split("/") if s]
        return check_media_id(segments[-1] if segments else "")

    def owns_url(self, url: str, target: Target | None = None) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        if host in self.hosts:
            return True
        if target is not None and not self.is_default_base(target):
            return _same_origin(url, target.base_url)
        return False


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.hostname or "").lower() == (pb.hostname or "").lower() and (
        pa.port or _default_port(pa.scheme)
    ) == (pb.port or _default_port(pb.scheme))


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def check_media_id(media_id: str) -> str:
    if not _ID_RE.match(media_id):
        raise UsageError(
            f"{media_id!r} is not a media id (letters, digits, '-' and '_') nor a media URL"
        )
    return media_id


def answered_at_all(name: str, resp: RawResponse) -> PingResult:
    """The ping of a service that has no ping endpoint: any answer short of a 5xx is up."""
    from pixup.errors import ServerError
    from pixup.models import PingResult

    if resp.status >= 500:
        raise ServerError(
            f"{name}: the service answered HTTP {resp.status}", http_status=resp.status
        )
    return PingResult(status="up", message=f"HTTP {resp.status}")


def reject_options(params: UploadParams, allowed: set[str], where: str) -> None:
    """A usage error for an upload option the chosen service and API cannot carry,
    rather than dropping it silently."""
    given = {
        "--post": params.options.post,
        "--base64": params.options.base64,
        "--tags": params.options.tags is not None,
        "--latitude/--longitude": params.options.latitude is not None
        or params.options.longitude is not None,
        "--message": params.options.message is not None,
    }
    for option, used in given.items():
        if used and option not in allowed:
            raise UsageError(f"{option} is not supported by {where}")


def media_part(params: UploadParams, field: str = "media") -> FilePart:
    from pixup.models import FilePart

    return FilePart(
        field=field,
        path=params.path,
        filename=params.filename,
        content_type=params.content_type,
        base64=params.options.base64,
        source=params.source,
    )
