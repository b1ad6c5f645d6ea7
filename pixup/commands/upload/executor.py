"""The uploader: one object that owns the worker pool, one HTTP session per worker
thread, retries with backoff, the renewal of an expired OAuth 2 token, and the SHA-256
of each file, computed from the bytes as they are sent (each file is read once).

A request is retried only when it provably never reached the service, or the service
asked for it (503, 429): a retry after the body may have arrived could post a tweet
twice. An OAuth 2 access token the service refuses is renewed once, and the upload sent
again: a refused upload was not stored.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pixup.commands.upload.plan import STDIN, Batch, Item, Outcome
from pixup.commands.upload.preflight import preflight
from pixup.commands.upload.report import from_history
from pixup.errors import AuthError, InternalError, PixupError
from pixup.history import HistoryUnavailable, Ledger, sha256_of
from pixup.models import Credentials, UploadOptions, UploadParams, UploadResult
from pixup.output import Output
from pixup.progress import UploadProgress
from pixup.providers import decode
from pixup.security import plain_text_secrets_warning
from pixup.settings import Settings

if TYPE_CHECKING:
    import requests

    from pixup.providers.syntax import Ask

_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif"}

# Backoff between attempts: BASE * 2**attempt plus up to as much again of jitter, capped;
# a Retry-After above MAX_RETRY_AFTER is not waited for.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
MAX_RETRY_AFTER = 120.0

# Given the credentials an upload was refused with, fresh ones (or None: nothing to renew).
Renew = Callable[[Credentials], Credentials | None]


def backoff(attempt: int, retry_after: float | None) -> float | None:
    if retry_after is not None:
        return retry_after if retry_after <= MAX_RETRY_AFTER else None
    base: float = min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt)
    return base + random.uniform(0, base)


class _Hash:
    """SHA-256 fed by the transport as it reads the file; complete only if every byte was."""

    def __init__(self) -> None:
        import hashlib  # not for --dry-run or --no-history

        self._sha = hashlib.sha256()
        self.count = 0

    def update(self, data: bytes | memoryview, /) -> None:
        self._sha.update(data)
        self.count += len(data)

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


class Uploader:
    def __init__(
        self,
        settings: Settings,
        opts: UploadOptions,
        out: Output,
        batch: Batch,
        *,
        progress: UploadProgress | None = None,
        ledger: Ledger | None = None,
        ask: Ask | None = None,
        renew: Renew | None = None,
        debug: bool = False,
    ) -> None:
        self.settings, self.opts, self.out, self.batch = settings, opts, out, batch
        self.progress, self.ledger, self.ask, self.renew = progress, ledger, ask, renew
        self.debug = debug  # PIXUP_DEBUG: tracebacks of internal errors on stderr
        self._credentials = settings.credentials
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._pool = ThreadPoolExecutor(max_workers=batch.jobs, thread_name_prefix="pixup-upload")

    def submit(self, item: Item) -> Future[Outcome]:
        return self._pool.submit(self._one, item)

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)
        if wait:
            for s in self._sessions:
                s.close()

    def _session(self) -> requests.Session:
        # One session per worker: connections are reused, never shared across threads.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            from pixup import transport  # requests and urllib3: not for --dry-run

            session = self._local.session = transport.open_session()
            with self._lock:
                self._sessions.append(session)
        return session

    # --- one file, in a worker thread --------------------------------------------------

    def _one(self, item: Item) -> Outcome:
        """Everything for one file; never raises: a bug met on the way is this file's
        failure (kind "internal"), and the other files go on."""
        started = time.monotonic()
        try:
            outcome = self._work(item)
        except Exception as exc:
            if self.debug:
                self.out.stderr.write(traceback.format_exc())
            if self.progress is not None:
                self.progress.file_done(item.size)
            outcome = Outcome(item.name, error=InternalError.of(exc), size=item.size)
        outcome.seconds = time.monotonic() - started
        return outcome

    def _work(self, item: Item) -> Outcome:
        digest: str | None = None
        try:
            params = self._params(item)
        except PixupError as err:
            return self._refused(item, err, digest)
        try:
            if self.batch.skip_existing and self.ledger is not None:
                digest = sha256_of(params.source or item.path)  # needed before sending
                earlier = self._earlier(digest)
                if earlier is not None:
                    return self._skipped(item, digest, earlier)
            if self.batch.dry_run:
                spec = self._build(params, self._credentials)
                return Outcome(item.name, request=spec)
            return self._send(item, params, digest)
        except PixupError as err:
            return self._refused(item, err, digest)
        finally:
            if params.source is not None:
                params.source.close()

    def _refused(self, item: Item, err: PixupError, digest: str | None) -> Outcome:
        if self.progress is not None:
            self.progress.file_done(item.size)
        return Outcome(item.name, error=err, size=item.size, sha256=digest)

    def _skipped(self, item: Item, digest: str, earlier: dict[str, Any]) -> Outcome:
        if self.progress is not None:
            self.progress.file_done(item.size)
        return Outcome(
            item.name,
            result=from_history(earlier),
            size=item.size,
            sha256=digest,
            skipped_as=earlier["id"],
        )

    def _params(self, item: Item) -> UploadParams:
        s = self.settings
        params = preflight(
            item.path, self.opts, s.max_size, s.provider.accepted_types, spool=item.spool
        )
        if item.name == STDIN:
            params = replace(
                params,
                filename=self.batch.filename or "stdin" + _EXTENSIONS.get(params.content_type, ""),
            )
        return replace(params, ask=self.ask)

    def _earlier(self, digest: str) -> dict[str, Any] | None:
        assert self.ledger is not None
        try:
            return self.ledger.previous_success(self.settings.provider.name, digest)
        except HistoryUnavailable as exc:
            self.out.warn_once(f"the upload history cannot be used ({exc}); uploading without it")
            return None

    def _build(self, params: UploadParams, creds: Credentials) -> Any:
        return self.settings.provider.build_upload(self.settings.target, params, creds)

    def _send(self, item: Item, params: UploadParams, digest: str | None) -> Outcome:
        """Attempts until one succeeds or may not be retried; the digest is the one
        already made (--skip-existing) or the one made while sending."""
        hashing = self.ledger is not None and digest is None
        attempt, renewed = 0, False
        while True:
            sha = _Hash() if hashing else None
            creds = self._credentials
            try:
                result = self._attempt(item, params, creds, sha)
                return Outcome(
                    item.name,
                    result=result,
                    size=item.size,
                    sha256=digest or self._digest_of(params, sha),
                )
            except AuthError as err:
                if renewed or not self._renew(creds):
                    return self._failed(item, params, err, digest, sha)
                renewed = True
            except PixupError as err:
                if not self._wait_to_retry(item, err, attempt):
                    return self._failed(item, params, err, digest, sha)
                attempt += 1

    def _wait_to_retry(self, item: Item, err: PixupError, attempt: int) -> bool:
        """Whether ``err`` may be retried, after waiting as long as it asks."""
        wait = backoff(attempt, err.retry_after) if err.retryable else None
        if attempt >= self.batch.retries or wait is None:
            return False
        self.out.warn(
            f"{item.name}: {err.message}; trying again in {wait:.1f}s "
            f"({attempt + 1}/{self.batch.retries})"
        )
        time.sleep(wait)
        return True

    def _attempt(
        self, item: Item, params: UploadParams, creds: Credentials, sha: _Hash | None
    ) -> UploadResult:
        # Built anew for each attempt: an OAuth Echo header carries a fresh nonce.
        spec = self._build(params, creds)
        self.out.add_secrets(spec.basic_credentials())
        if spec.secret_fields:
            # Secrets in readable form fields (API 1 of both built-ins): say so once.
            warning = plain_text_secrets_warning(spec.url)
            if warning:
                self.out.warn_once(warning)
        from pixup import transport

        tracker = self.progress.file(item.name, item.size) if self.progress else None
        with tracker or contextlib.nullcontext(None) as track:
            resp = transport.send(
                self._session(), spec, self.settings.timeout, self.out.debug, track, sha
            )
        provider, target = self.settings.provider, self.settings.target
        try:
            refused = provider.answer_error(target, resp)
            if refused is not None:
                raise refused
            transport.retry_status(resp)
            if not provider.redirect_answers():
                transport.refuse_redirect(resp)
            result = provider.parse_upload(target, resp, filename=params.filename)
            return decode.usable(result, resp.status)
        except PixupError:
            raise
        except Exception as exc:
            # The service answered: the upload may be stored there, so it is recorded.
            if self.debug:
                self.out.stderr.write(traceback.format_exc())
            raise InternalError.of(exc, http_status=resp.status) from exc

    def _renew(self, refused: Credentials) -> bool:
        """Fresh credentials for the ones refused, once for all workers; False when there
        is nothing to renew."""
        if self.renew is None:
            return False
        with self._lock:
            if self._credentials is refused:
                fresh = self.renew(refused)
                if fresh is None:
                    return False
                self._credentials = fresh
                self.out.add_secrets(fresh.secret_values())
        return True

    def _digest_of(self, params: UploadParams, sha: _Hash | None) -> str | None:
        if sha is None:
            return None
        # A body the provider built in memory (base64 in JSON) was not read through the
        # transport: hash the open file itself, the bytes that were sent.
        if params.source is None:
            return sha256_of(params.path)
        sent_whole = sha.count == os.fstat(params.source.fileno()).st_size
        return sha.hexdigest() if sent_whole else sha256_of(params.source)

    def _failed(
        self,
        item: Item,
        params: UploadParams,
        err: PixupError,
        digest: str | None,
        sha: _Hash | None,
    ) -> Outcome:
        if self.progress is not None:
            self.progress.file_done(item.size)
        # A failure that reached the service is recorded with the file's digest too.
        if digest is None and sha is not None and err.http_status is not None:
            digest = self._digest_of(params, sha)
        return Outcome(item.name, error=err, size=item.size, sha256=digest)
