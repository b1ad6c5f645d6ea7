"""`pixup upload`: check, send and report each file; several at once with -j.

Results are printed in the order the files were given, whatever order they finish in;
every file is tried; the exit code is that of the first failure in that order. A request
is retried only when it provably never reached the service, or the service asked for it
(503, 429): a retry after the body may have arrived could post a tweet twice.
"""

from __future__ import annotations

import contextlib
import os
import random
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pixup import output, transport
from pixup.commands.common import load_settings, with_credentials
from pixup.context import Context
from pixup.errors import ExitStatus, PixupError, RejectedError, UsageError
from pixup.history import HistoryUnavailable, Ledger, Record, sha256_of
from pixup.media import SNIFF_BYTES, sniff_type
from pixup.models import Media, RequestSpec, UploadOptions, UploadParams, UploadResult
from pixup.output import Output
from pixup.progress import UploadProgress
from pixup.providers.custom import CustomProvider, terminal_ask
from pixup.security import allowed_by_env, check_plain_http, plain_text_secrets_warning
from pixup.settings import Flags, Settings

if TYPE_CHECKING:
    import requests

# What the URL a service appends to a tweet roughly costs, for the length warning.
TWEET_LIMIT = 140
APPENDED_URL_LENGTH = 25

STDIN = "-"
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif"}

# Backoff between attempts: BASE * 2**attempt plus up to as much again of jitter, capped;
# a Retry-After above MAX_RETRY_AFTER is not waited for.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
MAX_RETRY_AFTER = 120.0


@dataclass(frozen=True)
class Batch:
    """How to run a batch, beside what to upload."""

    jobs: int = 1
    retries: int = 2
    dry_run: bool = False
    filename: str | None = None  # the name the server sees for stdin
    allow_insecure_http: bool = False
    copy: bool = False  # put the URLs on the clipboard
    history: bool = True  # --no-history turns it off
    skip_existing: bool = False


@dataclass
class Outcome:
    file: str
    result: UploadResult | None = None
    error: PixupError | None = None
    request: RequestSpec | None = None  # --dry-run
    size: int | None = None
    sha256: str | None = None
    skipped_as: int | None = None  # the history record of an earlier upload of the same file


def run(
    files: list[Path],
    flags: Flags,
    opts: UploadOptions,
    out: Output,
    ctx: Context,
    batch: Batch | None = None,
    stdin: IO[bytes] | None = None,
) -> int:
    batch = batch or Batch()
    names = [str(f) for f in files]
    settings: Settings | None = None
    try:
        _check_batch(names, batch, ctx)
        settings = load_settings(flags, ctx)
        _check_message(opts.message, out)
        provider = settings.provider
        interactive = ctx.prompt.available and not out.json_mode and STDIN not in names
        settings = with_credentials(
            settings,
            provider.required_credentials(settings.target.api, opts.post),
            ctx,
            interactive=interactive,
        )
        if interactive and isinstance(provider, CustomProvider):
            provider.ask = terminal_ask(ctx.prompt)
        out.add_secrets(settings.credentials.secret_values())
        check_plain_http(
            settings.target.base_url,
            provider.hosts,
            batch.allow_insecure_http or allowed_by_env(ctx.env),
        )
    except PixupError as err:
        out.error(err)
        if out.json_mode:
            service = settings.service if settings else flags.service
            api = settings.target.api if settings else flags.api
            for name in names:
                out.json(output.upload_failed(service, api, name, err))
        return err.exit_code

    with _spooled_stdin(names, stdin or ctx.stdin_bytes()) as stdin_path:
        paths = [stdin_path if n == STDIN and stdin_path else Path(n) for n in names]
        return _run_batch(names, paths, settings, opts, out, batch, ctx)


def _check_batch(names: list[str], batch: Batch, ctx: Context) -> None:
    if not 1 <= batch.jobs <= 64:
        raise UsageError("-j/--jobs must be between 1 and 64")
    if not 0 <= batch.retries <= 10:
        raise UsageError("--retries must be between 0 and 10")
    if names.count(STDIN) > 1:
        raise UsageError("'-' (standard input) can be given only once")
    if STDIN in names and ctx.term.stdin_tty:
        raise UsageError("'-' reads the image from standard input, but that is a terminal")
    if batch.filename is not None and STDIN not in names:
        raise UsageError("--filename names the upload read from '-' (standard input)")


def _run_batch(
    names: list[str],
    paths: list[Path],
    settings: Settings,
    opts: UploadOptions,
    out: Output,
    batch: Batch,
    ctx: Context,
) -> int:
    sizes = [_size(p) for p in paths]
    local = threading.local()
    sessions: list[requests.Session] = []
    sessions_lock = threading.Lock()

    def session() -> requests.Session:
        # One session per worker: connections are reused, never shared across threads.
        if not hasattr(local, "session"):
            local.session = transport.open_session()
            with sessions_lock:
                sessions.append(local.session)
        return local.session  # type: ignore[no-any-return]

    ledger = _open_ledger(settings, out, batch, ctx)
    recording = ledger if batch.history and settings.history else None
    first_failure = 0
    done = 0
    progress = UploadProgress(out, sum(sizes), len(paths)) if not batch.dry_run else None
    pool = ThreadPoolExecutor(max_workers=batch.jobs, thread_name_prefix="pixup-upload")
    try:
        with progress or contextlib.nullcontext():
            futures: list[Future[Outcome]] = [
                pool.submit(
                    _one, name, path, size, settings, opts, out, batch, session, progress, ledger
                )
                for name, path, size in zip(names, paths, sizes, strict=True)
            ]
            urls: list[str] = []
            for future in futures:
                outcome = future.result()
                code = _report(outcome, settings, out)
                _record(recording, outcome, settings, opts, out)
                first_failure = first_failure or code
                done += 1
                if outcome.result is not None and outcome.result.media.url:
                    urls.append(outcome.result.media.url)
        if batch.copy:
            _copy(urls, out)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        out.error(
            f"interrupted: {done} of {len(names)} files reported; uploads already under way "
            "finish or time out, the rest were not started"
        )
        return ExitStatus.INTERRUPTED
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for s in sessions:
            s.close()
        if ledger is not None:
            ledger.close()
    return first_failure


def _open_ledger(settings: Settings, out: Output, batch: Batch, ctx: Context) -> Ledger | None:
    """The history, or None: a database that cannot be used never stops an upload."""
    if batch.dry_run or not (batch.skip_existing or (batch.history and settings.history)):
        return None
    try:
        return Ledger.open(ctx.env)
    except HistoryUnavailable as exc:
        out.warn_once(f"the upload history cannot be used ({exc}); uploading without it")
        return None


def _earlier(ledger: Ledger, settings: Settings, digest: str, out: Output) -> dict[str, Any] | None:
    try:
        return ledger.previous_success(settings.provider.name, digest)
    except HistoryUnavailable as exc:
        out.warn_once(f"the upload history cannot be used ({exc}); uploading without it")
        return None


def _from_history(row: dict[str, Any]) -> UploadResult:
    return UploadResult(
        media=Media(id=row["media_id"], url=row["url"], thumb_url=row["thumb_url"]),
        status_id=row["status_id"],
    )


def _record(
    ledger: Ledger | None, outcome: Outcome, settings: Settings, opts: UploadOptions, out: Output
) -> None:
    """An attempt that reached the service (an answer came back) goes into the history."""
    if ledger is None or outcome.skipped_as is not None or outcome.request is not None:
        return
    err = outcome.error
    if err is not None and err.http_status is None:
        return  # refused before sending, or never connected: it did not reach the service
    result = outcome.result
    media = result.media if result else None
    try:
        ledger.record(
            Record(
                service=settings.provider.name,
                api=settings.target.api,
                file=str(Path(outcome.file).resolve()) if outcome.file != STDIN else STDIN,
                size=outcome.size,
                sha256=outcome.sha256,
                message=opts.message,
                ok=err is None,
                media_id=media.id if media else None,
                url=media.url if media else None,
                thumb_url=media.thumb_url if media else None,
                status_id=result.status_id if result else None,
                error_kind=err.kind if err else None,
                error_code=err.code if err else None,
                error_message=out.redact(err.message) if err else None,
                http_status=err.http_status if err else None,
            )
        )
    except HistoryUnavailable as exc:
        out.warn_once(f"the upload history cannot be used ({exc}); uploading without it")


def _copy(urls: list[str], out: Output) -> None:
    from pixup import clipboard

    if not urls:
        return
    tool = clipboard.copy("\n".join(urls))
    if tool is None:
        out.warn(f"--copy: {clipboard.MISSING}")
    else:
        out.info(f"Copied {len(urls)} URL{'s' if len(urls) > 1 else ''} to the clipboard ({tool}).")


def _one(
    name: str,
    path: Path,
    size: int,
    settings: Settings,
    opts: UploadOptions,
    out: Output,
    batch: Batch,
    session: object,
    progress: UploadProgress | None,
    ledger: Ledger | None = None,
) -> Outcome:
    """Everything for one file, in a worker thread; never raises a PixupError."""
    digest: str | None = None
    try:
        params = preflight(path, opts, settings.max_size, settings.provider.accepted_types)
        if ledger is not None and not batch.dry_run:
            digest = sha256_of(path)
            earlier = _earlier(ledger, settings, digest, out) if batch.skip_existing else None
            if earlier is not None:
                if progress is not None:
                    progress.file_done(size)
                return Outcome(
                    name,
                    result=_from_history(earlier),
                    size=size,
                    sha256=digest,
                    skipped_as=earlier["id"],
                )
        if name == STDIN:
            params = replace(
                params,
                filename=batch.filename or "stdin" + _EXTENSIONS.get(params.content_type, ""),
            )
        if batch.dry_run:
            spec = settings.provider.build_upload(settings.target, params, settings.credentials)
            return Outcome(name, request=spec)
        result = _send_with_retries(name, params, size, settings, out, batch, session, progress)
        return Outcome(name, result=result, size=size, sha256=digest)
    except PixupError as err:
        if progress is not None:
            progress.file_done(size)
        return Outcome(name, error=err, size=size, sha256=digest)


def _send_with_retries(
    name: str,
    params: UploadParams,
    size: int,
    settings: Settings,
    out: Output,
    batch: Batch,
    session: object,
    progress: UploadProgress | None,
) -> UploadResult:
    provider, target = settings.provider, settings.target
    attempt = 0
    while True:
        # Built anew for each attempt: an OAuth Echo header carries a fresh nonce.
        spec = provider.build_upload(target, params, settings.credentials)
        if spec.secret_fields:
            # Secrets in readable form fields (TwitrPix API 1, img.ly API 1): say so once.
            warning = plain_text_secrets_warning(spec.url)
            if warning:
                out.warn_once(warning)
        try:
            tracker = progress.file(name, size) if progress else contextlib.nullcontext(None)
            with tracker as track:
                resp = transport.send(
                    session(),  # type: ignore[operator]
                    spec,
                    settings.timeout,
                    out.debug,
                    progress=track,
                )
            transport.retry_status(resp)
            transport.refuse_redirect(resp)
            return provider.parse_upload(target, resp, filename=params.filename)
        except PixupError as err:
            if not err.retryable or attempt >= batch.retries:
                raise
            wait = _backoff(attempt, err.retry_after)
            if wait is None:
                raise
            out.warn(
                f"{name}: {err.message}; trying again in {wait:.1f}s ({attempt + 1}/{batch.retries})"
            )
            time.sleep(wait)
            attempt += 1


def _backoff(attempt: int, retry_after: float | None) -> float | None:
    if retry_after is not None:
        return retry_after if retry_after <= MAX_RETRY_AFTER else None
    base: float = min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt)
    return base + random.uniform(0, base)


def _report(outcome: Outcome, settings: Settings, out: Output) -> int:
    provider, target = settings.provider, settings.target
    if outcome.error is not None:
        out.error(f"{outcome.file}: {outcome.error.message}")
        if out.json_mode:
            out.json(output.upload_failed(provider.name, target.api, outcome.file, outcome.error))
        return outcome.error.exit_code
    if outcome.request is not None:
        _show_request(out, settings, outcome.file, outcome.request)
        return 0
    assert outcome.result is not None
    result = outcome.result
    if out.json_mode:
        doc = output.upload_ok(provider.name, target.api, outcome.file, result)
        if outcome.skipped_as is not None:
            doc["skipped"] = True
        out.json(doc)
        return 0
    out.line(result.media.url or "")
    if outcome.skipped_as is not None:
        out.info(
            f"{outcome.file}: already uploaded (history #{outcome.skipped_as}); not sent again"
        )
        return 0
    out.details(
        f"{provider.title}: {outcome.file}",
        [
            ("service", f"{provider.name} API {target.api}"),
            ("id", result.media.id),
            ("url", result.media.url),
            ("thumbnail", result.media.thumb_url),
            ("size", _size_text(result)),
            ("user", result.user.screen_name),
            ("status", result.status_id),
        ],
    )
    return 0


def _size_text(result: UploadResult) -> str | None:
    media = result.media
    if media.width is None or media.height is None:
        return None
    size = f"{media.width}x{media.height}"
    return f"{size}, {media.size:,} bytes" if media.size is not None else size


def _show_request(out: Output, settings: Settings, file: str, spec: RequestSpec) -> None:
    shown = spec.redacted()
    if out.json_mode:
        out.json(
            {
                "ok": True,
                "dry_run": True,
                "service": settings.provider.name,
                "api": settings.target.api,
                "file": file,
                "request": shown,
            }
        )
        return
    out.line(f"{shown['method']} {shown['url']}")
    for name, value in shown["headers"].items():
        out.line(f"{name}: {value}")
    for name, value in shown["fields"]:
        out.line(f"field {name}={value}")
    for part in shown["files"]:
        out.line(
            f"file {part['field']}=@{part['path']} ({part['content_type']}, {part['encoding']})"
        )


def _check_message(message: str | None, out: Output) -> None:
    if message is None:
        return
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            "the message is not valid text (it has bytes that are not UTF-8)"
        ) from None
    if len(message) + 1 + APPENDED_URL_LENGTH > TWEET_LIMIT:
        out.warn(
            f"the message is {len(message)} characters; with the link the service adds it "
            f"exceeds {TWEET_LIMIT} and may be cut short when posted"
        )


@contextlib.contextmanager
def _spooled_stdin(names: list[str], source: IO[bytes]) -> Iterator[Path | None]:
    """Standard input copied to a temporary file on disk (never into memory), so it can be
    checked before sending and streamed with a known length like any file."""
    if STDIN not in names:
        yield None
        return
    fd, name = tempfile.mkstemp(prefix="pixup-stdin-")
    try:
        with os.fdopen(fd, "wb") as spool:
            while chunk := source.read(1024 * 1024):
                spool.write(chunk)
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def preflight(
    path: Path,
    opts: UploadOptions,
    max_size: int | None,
    types: tuple[str, ...],
) -> UploadParams:
    """Check the file before any byte is sent, and describe it for the request."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise RejectedError("no such file") from None
    except OSError as exc:
        raise RejectedError(exc.strerror or "cannot be read") from None
    if stat.S_ISDIR(st.st_mode):
        raise RejectedError("is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise RejectedError("not a regular file")
    if st.st_size == 0:
        raise RejectedError("the file is empty")
    if max_size is not None and st.st_size > max_size:
        raise RejectedError(
            f"the file is {_mib(st.st_size)}, over the service's limit of {_mib(max_size)} "
            "(--max-size changes the limit for a self-hosted server)"
        )
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise RejectedError(f"cannot read: {exc.strerror}") from None
    content_type = sniff_type(head)
    if content_type is None or content_type not in types:
        kinds = [t.split("/")[1].upper().replace("WEBP", "WebP") for t in types]
        names = " or ".join([", ".join(kinds[:-1]), kinds[-1]] if len(kinds) > 1 else kinds)
        what = f"it is {content_type}" if content_type else _what(head)
        raise RejectedError(
            f"not a {names} image (judged by its first bytes, not its name; {what})"
        )
    return UploadParams(path=path, filename=path.name, content_type=content_type, options=opts)


def _what(head: bytes) -> str:
    """A word on what the file is instead, for the pre-flight message."""
    known = {
        b"%PDF": "it looks like a PDF",
        b"PK\x03\x04": "it looks like a ZIP archive",
        b"RIFF": "it looks like a RIFF file (WebP, WAV or AVI)",
        b"BM": "it looks like a BMP image",
        b"II*\x00": "it looks like a TIFF image",
        b"MM\x00*": "it looks like a TIFF image",
        b"\x00\x00\x00": "it looks like an ISO media file (HEIC, MP4?)",
    }
    for magic, text in known.items():
        if head.startswith(magic):
            return text
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "found unknown binary data"
    return "found text"
