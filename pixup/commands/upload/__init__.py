"""`pixup upload`: resolve → check → plan → execute → report.

Results are printed in the order the files were given, whatever order they finish in;
every file is tried; the exit code is that of the first failure in that order.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

from pixup import output
from pixup.commands.common import load_settings, with_credentials
from pixup.commands.upload.executor import Renew, Uploader
from pixup.commands.upload.plan import STDIN, Batch, Item, Outcome, plan
from pixup.commands.upload.preflight import check_batch, check_message, spooled_stdin
from pixup.commands.upload.report import copy_urls, record, report
from pixup.context import Context
from pixup.errors import ExitStatus, Interrupted, PixupError
from pixup.history import HistoryUnavailable, Ledger
from pixup.models import UploadOptions
from pixup.output import Output
from pixup.security import allowed_by_env, check_plain_http
from pixup.settings import Flags, Settings
from pixup.values import iec_size

if TYPE_CHECKING:
    from pixup.progress import UploadProgress
    from pixup.providers.syntax import Ask

__all__ = ["STDIN", "Batch", "run"]


@dataclass
class _Resolved:
    settings: Settings | None = None
    ask: Ask | None = None
    renew: Renew | None = None


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
    found = _Resolved()
    try:
        _resolve(found, names, flags, opts, out, ctx, batch)
    except PixupError as err:
        return _refused(err, names, flags, found.settings, out)
    assert found.settings is not None
    with contextlib.ExitStack() as stack:
        try:
            spool = stack.enter_context(spooled_stdin(names, stdin or ctx.stdin_bytes()))
        except PixupError as err:
            return _refused(err, names, flags, found.settings, out)
        return _execute(plan(names, spool), found, opts, out, batch, ctx)


def _resolve(
    found: _Resolved,
    names: list[str],
    flags: Flags,
    opts: UploadOptions,
    out: Output,
    ctx: Context,
    batch: Batch,
) -> None:
    """Settings, credentials and the checks made before any file is looked at."""
    check_batch(names, batch, ctx.term.stdin_tty)
    found.settings = settings = load_settings(flags, ctx)
    check_message(opts.message, out)
    provider = settings.provider
    interactive = ctx.prompt.available and not out.json_mode and STDIN not in names
    found.settings = settings = with_credentials(
        settings,
        provider.required_credentials(settings.target.api, opts.post),
        ctx,
        interactive=interactive,
    )
    if interactive:
        from pixup.providers.custom import terminal_ask

        found.ask = terminal_ask(ctx.prompt)
    found.renew = _renewal(settings, ctx, out)
    out.add_secrets(settings.credentials.secret_values())
    check_plain_http(
        settings.target.base_url,
        provider.hosts,
        batch.allow_insecure_http or allowed_by_env(ctx.env),
    )


def _renewal(settings: Settings, ctx: Context, out: Output) -> Renew | None:
    from pixup.commands.upload.renew import renewal

    return renewal(settings, ctx, out)


def _refused(
    err: PixupError, names: list[str], flags: Flags, settings: Settings | None, out: Output
) -> int:
    out.error(err)
    if out.json_mode:
        service = settings.service if settings else flags.service
        api = settings.target.api if settings else flags.api
        for name in names:
            out.json(output.upload_failed(service, api, name, err))
    return err.exit_code


def _open_ledger(settings: Settings, out: Output, batch: Batch, ctx: Context) -> Ledger | None:
    """The history, or None: a database that cannot be used never stops an upload."""
    if batch.dry_run or not (batch.skip_existing or (batch.history and settings.history)):
        return None
    try:
        return Ledger.open(ctx.env)
    except HistoryUnavailable as exc:
        out.warn_once(f"the upload history cannot be used ({exc}); uploading without it")
        return None


def _close_ledger(ledger: Ledger | None, out: Output) -> None:
    note = ledger.close() if ledger is not None else None
    if note:
        out.warn(note)


def _execute(
    items: list[Item],
    found: _Resolved,
    opts: UploadOptions,
    out: Output,
    batch: Batch,
    ctx: Context,
) -> int:
    settings = found.settings
    assert settings is not None
    ledger = _open_ledger(settings, out, batch, ctx)
    recording = ledger if batch.history and settings.history else None
    progress = _progress(items, out, batch)
    uploader = Uploader(
        settings,
        opts,
        out,
        batch,
        progress=progress,
        ledger=ledger,
        ask=found.ask,
        renew=found.renew,
        debug=bool(ctx.env.get("PIXUP_DEBUG")),
    )
    reporter = _Reporter(settings, opts, out, recording, batch.details)
    futures: list[Future[Outcome]] = []
    try:
        _run_batch(items, uploader, reporter, progress, futures, batch)
    except KeyboardInterrupt:
        return _interrupted(uploader, futures, items, reporter, ledger)
    finally:
        uploader.close()
        _close_ledger(ledger, out)
    return reporter.tally.first_failure


def _run_batch(
    items: list[Item],
    uploader: Uploader,
    reporter: _Reporter,
    progress: UploadProgress | None,
    futures: list[Future[Outcome]],
    batch: Batch,
) -> None:
    """Every file submitted, each outcome taken in order under the live display; then
    the summary at a terminal, and the clipboard."""
    out, started = reporter.out, time.monotonic()
    with progress or contextlib.nullcontext():
        futures.extend(uploader.submit(item) for item in items)
        for future in futures:
            reporter.take(future.result())
    if out.fancy and len(items) > 1 and not batch.dry_run:
        out.info(reporter.tally.summary(time.monotonic() - started))
    if batch.copy:
        copy_urls(reporter.tally.urls, out)


def _interrupted(
    uploader: Uploader,
    futures: list[Future[Outcome]],
    items: list[Item],
    reporter: _Reporter,
    ledger: Ledger | None,
) -> int:
    """Ctrl-C: the files not started are cancelled and said to be; the uploads under way
    are waited for, and printed and recorded like any (they may be on the server already).
    A second Ctrl-C abandons them at once, naming them."""
    out, tally = reporter.out, reporter.tally
    not_started = 0
    # Everything from here is inside the try: a second Ctrl-C at any point abandons.
    try:
        uploader.close(wait=False)  # cancels what has not started
        running = _under_way(futures, items, tally.done)
        out.error(
            f"interrupted: waiting for {len(running)} upload(s) under way (Ctrl-C again "
            f"abandons them): {', '.join(running) or 'none'}"
        )
        for index in range(tally.done, len(items)):
            future = futures[index] if index < len(futures) else None
            if future is None or future.cancelled():
                not_started += 1
                reporter.not_sent(items[index].name)
                continue
            reporter.take(future.result())
    except KeyboardInterrupt:
        _abandon(futures, items, reporter, ledger)
    out.error(
        f"interrupted: {tally.done} of {len(items)} files reported; {not_started} not started"
    )
    return ExitStatus.INTERRUPTED


def _under_way(futures: list[Future[Outcome]], items: list[Item], reported: int) -> list[str]:
    """The files still being uploaded, by name."""
    return [
        items[i].name
        for i, future in enumerate(futures)
        if i >= reported and not (future.cancelled() or future.done())
    ]


def _abandon(
    futures: list[Future[Outcome]], items: list[Item], reporter: _Reporter, ledger: Ledger | None
) -> NoReturn:
    """The second Ctrl-C: every file not yet reported gets its line (the finished ones
    their result), the ones under way named as maybe on the server, and pixup exits at once (the pool's threads would be
    joined at exit otherwise)."""
    out = reporter.out
    under_way = []
    for index in range(reporter.tally.done, len(items)):
        future = futures[index] if index < len(futures) else None
        name = items[index].name
        if future is None or future.cancelled():
            reporter.not_sent(name)
        elif future.done():  # finished meanwhile: reported and recorded like any
            reporter.take(future.result())
        else:
            under_way.append(name)
            reporter.abandoned(name)
    out.error(
        "interrupted again: the uploads under way are abandoned; they may still complete on "
        f"the server, unrecorded: {', '.join(under_way) or 'none'}"
    )
    _close_ledger(ledger, out)
    out.stdout.flush()
    os._exit(ExitStatus.INTERRUPTED)


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """SIGINT held back for the block (main thread only), then delivered."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[object] = []
    previous = signal.signal(signal.SIGINT, lambda *args: held.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


class _Reporter:
    """Each outcome, in order: printed, recorded, counted."""

    def __init__(
        self,
        settings: Settings,
        opts: UploadOptions,
        out: Output,
        recording: Ledger | None,
        details: bool = False,
    ) -> None:
        self.settings, self.opts, self.out, self.recording = settings, opts, out, recording
        self.details = details
        self.tally = _Tally()

    def take(self, outcome: Outcome) -> None:
        # A Ctrl-C meanwhile waits: an outcome is printed, recorded and counted whole.
        with _ctrl_c_held():
            code = report(outcome, self.settings, self.out, self.details)
            record(self.recording, outcome, self.settings, self.opts, self.out)
            self.tally.done += 1
            self.tally.add(outcome, code)

    def not_sent(self, name: str) -> None:
        self._interrupted(name, "not sent: the upload was interrupted before it started")

    def abandoned(self, name: str) -> None:
        self._interrupted(
            name, "abandoned while under way: it may have reached the server, unrecorded"
        )

    def _interrupted(self, name: str, why: str) -> None:
        if self.out.json_mode:
            err = Interrupted(why)
            self.out.json(
                output.upload_failed(self.settings.service, self.settings.target.api, name, err)
            )


def _progress(items: list[Item], out: Output, batch: Batch) -> UploadProgress | None:
    from pixup.progress import UploadProgress

    if batch.dry_run or not batch.progress:
        return None
    return UploadProgress(out, sum(item.size for item in items), len(items))


@dataclass
class _Tally:
    """What the batch has reported so far."""

    done: int = 0
    first_failure: int = 0
    uploaded: int = 0
    failed: int = 0
    skipped: int = 0
    bytes: int = 0
    urls: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome, code: int) -> None:
        self.first_failure = self.first_failure or code
        if outcome.result is not None and outcome.result.media.url:
            self.urls.append(outcome.result.media.url)
        if outcome.error is not None:
            self.failed += 1
        elif outcome.skipped_as is not None:
            self.skipped += 1
        elif outcome.result is not None:
            self.uploaded += 1
            self.bytes += outcome.size or 0

    def summary(self, seconds: float) -> str:
        """``12 uploaded, 1 failed, 14.2 MiB in 3.1 s``: the batch at a glance."""
        parts = [f"{self.uploaded} uploaded", f"{self.failed} failed"]
        if self.skipped:
            parts.append(f"{self.skipped} already uploaded")
        return f"{', '.join(parts)}, {iec_size(self.bytes)} in {seconds:.1f} s"
