"""The only module that talks to the network: a RequestSpec in, a RawResponse out.

Bodies stream from disk in large blocks (:mod:`pixup.body`), so memory does not grow with
the file; answers are read up to a cap; redirects are never followed, so no credential is
ever sent to a place the user did not name.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from typing import Any

import requests

from pixup import __version__, deadline
from pixup.body import Body, Digest, FileChanged, FilePiece, Piece, multipart
from pixup.errors import NetworkError, PixupError, RejectedError, ServerError, UsageError
from pixup.models import FilePart, RawResponse, RequestSpec

# No real answer from either service comes near this; a larger one is hostile or broken.
MAX_ANSWER_BYTES = 1_000_000
USER_AGENT = f"pixup/{__version__}"

Log = Callable[[str], None]


def open_session() -> requests.Session:
    """A session that reads the environment once: requests would otherwise read the proxy
    variables and ~/.netrc again for every request of a batch (about 0.2 ms each). The
    proxies come from :func:`_proxies`; ~/.netrc is never read, so no password of the
    user's lands in an upload that did not ask for one."""
    session = requests.Session()
    session.trust_env = False
    session.verify = _ca_bundle()
    session.headers["User-Agent"] = USER_AGENT
    adapter = _adapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _ca_bundle() -> str | bool:
    """The CA bundle requests would take from the environment, else the default."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


_PROXIES: dict[str, dict[str, str]] = {}


def _proxies(url: str) -> dict[str, str]:
    """The proxies for ``url`` from the environment (HTTPS_PROXY, NO_PROXY...), as
    requests reads them, once per scheme and host."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:  # requests says what is wrong with it
        return {}
    key = f"{parts.scheme}://{parts.netloc}"
    found = _PROXIES.get(key)
    if found is None:
        found = _PROXIES[key] = requests.utils.get_environ_proxies(url)
    return found


def _adapter() -> requests.adapters.HTTPAdapter:
    """requests' adapter, with connections that put their sockets under the deadline of
    the attempt they carry and report each block of the request as it leaves."""
    global _Adapter
    if _Adapter is None:
        _Adapter = _watched_adapter()
    adapter: requests.adapters.HTTPAdapter = _Adapter()
    return adapter


_Adapter: Any = None
# How much longer than the deadline the sockets' own timeouts are: a net, never the bound.
_NET = 5.0


def _watched_adapter() -> Any:
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class Watched:
        sock: Any

        def _new_conn(self) -> Any:
            sock = super()._new_conn()  # type: ignore[misc]
            _watch(sock)
            attempt = deadline.current()
            if attempt is not None:  # past the connect, the deadline bounds the TLS handshake
                sock.settimeout(attempt.seconds + _NET)
            return sock

        def connect(self) -> None:
            super().connect()  # type: ignore[misc]
            _watch(self.sock)

        def request(self, *args: Any, **kwargs: Any) -> None:
            if self.sock is not None:  # a kept-alive connection
                _watch(self.sock)
            super().request(*args, **kwargs)  # type: ignore[misc]
            attempt = deadline.current()
            if attempt is not None:
                attempt.sent()

        def send(self, data: Any) -> None:
            attempt = deadline.current()
            if attempt is not None and self.sock is not None:
                # urllib3 sends under the connect timeout; the attempt's stall bound, kept
                # by the deadline, is the one that holds while the request leaves.
                self.sock.settimeout(attempt.seconds + _NET)
            super().send(data)  # type: ignore[misc]
            if attempt is not None:
                attempt.progress()

    class Plain(Watched, HTTPConnection):
        pass

    class Secure(Watched, HTTPSConnection):
        pass

    class PlainPool(HTTPConnectionPool):
        ConnectionCls = Plain

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = Secure

    pools = {"http": PlainPool, "https": SecurePool}

    class Adapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            manager.pool_classes_by_scheme = pools
            return manager

    return Adapter


def _watch(sock: Any) -> None:
    attempt = deadline.current()
    if attempt is not None and sock is not None:
        attempt.watch(sock)


def _open(part: FilePart, stack: contextlib.ExitStack) -> FilePiece:
    """The file to send, read from its start: the one pre-flight opened and checked when
    there is one (the caller owns it), else ``part.path``, closed by ``stack``."""
    if part.source is not None:
        fh = part.source
        fh.seek(0)
    else:
        try:
            fh = open(part.path, "rb")  # noqa: SIM115 - closed by the stack
        except OSError as exc:
            raise UsageError(f"cannot read {part.path}: {exc.strerror}") from None
        stack.callback(fh.close)
    return FilePiece(fh, os.fstat(fh.fileno()).st_size, part.base64)


def send(
    session: requests.Session,
    spec: RequestSpec,
    timeout: float,
    log: Log | None = None,
    progress: Callable[[int, int], None] | None = None,
    digest: Digest | None = None,
) -> RawResponse:
    """Perform ``spec``; every failure becomes a :class:`PixupError`.

    ``progress(sent, total)`` is called as each block of the body is handed to the
    socket, so it reports bytes that really left, not a guess. ``digest`` is fed the file's bytes as
    they are read for sending, so the file is read once for both.
    """
    if log:
        log("request " + json.dumps(spec.redacted(), ensure_ascii=False))
    attempt = deadline.Attempt(timeout)
    with contextlib.ExitStack() as stack:
        headers, data = _body(spec, stack, progress, digest)
        stack.enter_context(deadline.running(attempt))
        resp = _request(session, spec, headers, data, attempt)
        with contextlib.closing(resp):
            body = _read_capped(resp, spec.url, attempt)
            raw = RawResponse(
                status=resp.status_code,
                headers={k.lower(): v for k, v in resp.headers.items()},
                body=body,
                url=spec.url,
            )
    if log:
        log(f"answer HTTP {raw.status} {raw.content_type or '-'} {len(raw.body)} bytes")
        log("answer body " + raw.body[:2048].decode("utf-8", errors="replace"))
    return raw


def _body(
    spec: RequestSpec,
    stack: contextlib.ExitStack,
    progress: Callable[[int, int], None] | None,
    digest: Digest | None,
) -> tuple[dict[str, str], Any]:
    """The headers and the body to send: a streamed multipart form, a file as the whole
    body, or bytes. Files opened here are closed by ``stack``."""
    headers = dict(spec.headers)
    pieces: list[Piece]
    if spec.files or spec.fields:
        files = [
            (p.field, None if p.base64 else p.filename, _part_type(p), _open(p, stack))
            for p in spec.files
        ]
        headers["Content-Type"], pieces = multipart(list(spec.fields), files)
    elif spec.body_file is not None:
        pieces = [_open(spec.body_file, stack)]
        headers.setdefault("Content-Type", _part_type(spec.body_file))
    else:
        return headers, spec.body
    return headers, Body(pieces, digest, progress)


def _part_type(part: FilePart) -> str:
    return "text/plain" if part.base64 else part.content_type


def _request(
    session: requests.Session,
    spec: RequestSpec,
    headers: dict[str, str],
    data: Any,
    attempt: deadline.Attempt,
) -> requests.Response:
    timeout = attempt.seconds
    try:
        return session.request(
            spec.method,
            spec.url,
            headers=headers,
            data=data,
            # The attempt's deadline decides; the sockets' own timeout is only a net under it.
            timeout=(min(timeout, 10.0), timeout + _NET),
            allow_redirects=False,
            stream=True,
            proxies=_proxies(spec.url),
        )
    except requests.exceptions.InvalidURL as exc:
        raise UsageError(f"invalid URL {spec.url!r}: {exc}") from None
    except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema):
        raise UsageError(
            f"invalid URL {spec.url!r}: it must start with http:// or https://"
        ) from None
    except requests.exceptions.RequestException as exc:
        if attempt.expired and not isinstance(exc, requests.exceptions.ConnectTimeout):
            raise _expired(spec.url, attempt) from None
        raise _network_error(spec.url, exc, timeout) from None
    except FileChanged as exc:
        raise RejectedError(f"{exc}; nothing complete was sent, try again") from None


def _read_capped(resp: requests.Response, url: str, attempt: deadline.Attempt) -> bytes:
    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raise ServerError(
            f"the answer from {url} is {int(declared):,} bytes; pixup reads at most "
            f"{MAX_ANSWER_BYTES:,}",
            http_status=resp.status_code,
        )
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in resp.iter_content(64 * 1024):
            total += len(chunk)
            if total > MAX_ANSWER_BYTES:
                raise ServerError(
                    f"the answer from {url} is larger than {MAX_ANSWER_BYTES:,} bytes; "
                    "pixup stopped reading it",
                    http_status=resp.status_code,
                )
            chunks.append(chunk)
    except PixupError:
        raise
    except requests.exceptions.RequestException as exc:
        if attempt.expired:
            raise _expired(url, attempt) from None
        raise _network_error(url, exc, attempt.seconds) from None
    # A shut socket can look like the end of an answer that has no Content-Length.
    if attempt.expired:
        raise _expired(url, attempt)
    return b"".join(chunks)


def _expired(url: str, attempt: deadline.Attempt) -> NetworkError:
    """Never retryable: part of the request, perhaps all of it, reached the server."""
    if attempt.sending:
        return NetworkError(
            f"the upload to {url} stalled: the server took nothing for {attempt.seconds:g}s"
        )
    return NetworkError(f"no complete answer from {url} within {attempt.seconds:g}s")


def _network_error(url: str, exc: Exception, timeout: float) -> NetworkError:
    """The error for a failed exchange; ``retryable`` only when nothing can have been sent
    (the connection was never made), since a retried --post would otherwise tweet twice."""
    if isinstance(exc, requests.exceptions.SSLError):
        return NetworkError(f"TLS error talking to {url}: the certificate could not be verified")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return NetworkError(f"timed out after {timeout:g}s connecting to {url}", retryable=True)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return NetworkError(f"no answer from {url} within {timeout:g}s")
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = _root_reason(exc)
        return NetworkError(f"cannot reach {url}: {reason}", retryable=_never_connected(exc))
    return NetworkError(f"network error talking to {url}: {type(exc).__name__}")


def _never_connected(exc: BaseException) -> bool:
    from urllib3.exceptions import NewConnectionError

    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, NewConnectionError):  # refused, unreachable, DNS failure
            return True
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = getattr(seen, "reason", None) or nested or seen.__cause__ or seen.__context__
    return False


def retry_status(resp: RawResponse) -> None:
    """A 503 or 429 is the service asking to be tried again later; say when."""
    if resp.status not in (429, 503):
        return
    after = _retry_after(resp.headers.get("retry-after", ""))
    raise ServerError(
        f"the service is unavailable (HTTP {resp.status})"
        + (f"; it asks to retry after {after:g}s" if after is not None else ""),
        http_status=resp.status,
        retryable=True,
        retry_after=after,
    )


def _retry_after(value: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    import time

    return max(0.0, when.timestamp() - time.time())


def _innermost(exc: BaseException) -> BaseException:
    seen: BaseException | None = exc
    last: BaseException = exc
    while seen is not None:
        last = seen
        wrapped = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = seen.__cause__ or seen.__context__ or wrapped
        if seen is last:
            break
    return last


# What the innermost error's text says, in words for a person (first match wins).
_REASONS: tuple[tuple[Callable[[str], bool], str], ...] = (
    (
        lambda t: "Name or service not known" in t or "nodename nor servname" in t,
        "the host name does not resolve",
    ),
    (lambda t: "Connection refused" in t, "connection refused"),
    (
        lambda t: "RemoteDisconnected" in t or "Connection aborted" in t or "reset" in t.lower(),
        "the connection was closed by the server",
    ),
)


def _root_reason(exc: BaseException) -> str:
    """The innermost cause, e.g. "Connection refused", without urllib3's noise."""
    last = _innermost(exc)
    if isinstance(last, OSError) and last.strerror:
        return last.strerror
    text = str(last)
    for says, reason in _REASONS:
        if says(text):
            return reason
    return text.rsplit(":", 1)[-1].strip() or type(last).__name__


def refuse_redirect(resp: RawResponse) -> None:
    """An upload answered with a redirect is an error: following it could hand the
    credentials in the form or the Echo header to a host the user never named."""
    if 300 <= resp.status < 400:
        where = resp.headers.get("location", "elsewhere")
        raise ServerError(
            f"the service redirected the upload to {where}; pixup does not follow redirects "
            "with credentials (check the base URL)",
            http_status=resp.status,
        )
