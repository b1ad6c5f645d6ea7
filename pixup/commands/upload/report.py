"""What a finished file becomes: a line (or a JSON object), a details table at a terminal,
a record in the history, and the URLs on the clipboard."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pixup import output
from pixup.commands.upload.plan import STDIN, Outcome
from pixup.history import HistoryDeferred, HistoryUnavailable, Ledger, Record
from pixup.models import Media, RequestSpec, UploadOptions, UploadResult
from pixup.output import Output
from pixup.settings import Settings
from pixup.values import iec_size


def report(outcome: Outcome, settings: Settings, out: Output, details: bool = False) -> int:
    """Print one outcome; its exit status. At a terminal a file is one line (a table
    with ``details`` or -v); elsewhere the URL alone, or the error line."""
    if outcome.request is not None:
        show_request(out, settings, outcome.file, outcome.request)
        return 0
    if out.fancy and not (details or out.verbose):
        return _one_line(outcome, out)
    if outcome.error is not None:
        out.error(f"{outcome.file}: {outcome.error.message}")
        if out.json_mode:
            provider, api = settings.provider.name, settings.target.api
            out.json(output.upload_failed(provider, api, outcome.file, outcome.error))
        return outcome.error.exit_code
    _succeeded(outcome, settings, out)
    return 0


def _succeeded(outcome: Outcome, settings: Settings, out: Output) -> None:
    assert outcome.result is not None
    if out.json_mode:
        doc = output.upload_ok(
            settings.provider.name, settings.target.api, outcome.file, outcome.result
        )
        if outcome.skipped_as is not None:
            doc["skipped"] = True
        out.json(doc)
        return
    out.line(outcome.result.media.url or "")
    if outcome.skipped_as is not None:
        out.info(
            f"{outcome.file}: already uploaded (history #{outcome.skipped_as}); not sent again"
        )
        return
    _details(outcome.file, outcome.result, settings, out)


def _one_line(outcome: Outcome, out: Output) -> int:
    """``✓ photo.png  URL  6.2 KiB  0.4 s``, ``✗ big.png  why``: the URL still goes to
    stdout alone when stdout is not the terminal."""
    ok, failed = ("✓", "✗") if out.unicode else ("ok", "FAILED")
    if outcome.error is not None:
        out.failed(f"{failed} {outcome.file}  {outcome.error.message}")
        return outcome.error.exit_code
    assert outcome.result is not None
    url = outcome.result.media.url or ""
    if not out.stdout_tty:
        out.line(url)
    if outcome.skipped_as is not None:
        out.result(f"= {outcome.file}  {url}  (already uploaded: history #{outcome.skipped_as})")
        return 0
    facts = [iec_size(outcome.size)] if outcome.size is not None else []
    if outcome.seconds is not None:
        facts.append(f"{outcome.seconds:.1f} s")
    out.result(fitted(ok, outcome.file, url, facts, out.columns))
    return 0


def fitted(mark: str, name: str, url: str, facts: list[str], width: int) -> str:
    """The result line in ``width`` columns if it can be, so a URL is never broken across
    lines: the facts go first, then the name is cut from its start (its end names it)."""
    for line in ("  ".join([f"{mark} {name}", url, *facts]), f"{mark} {name}  {url}"):
        if len(line) < width:
            return line
    room = width - 1 - len(f"{mark} …  {url}")
    return f"{mark} …{name[-room:]}  {url}" if room >= 3 else f"{mark} {url}"


def _details(file: str, result: UploadResult, settings: Settings, out: Output) -> None:
    provider, target = settings.provider, settings.target
    out.details(
        f"{provider.title}: {file}",
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


def _size_text(result: UploadResult) -> str | None:
    media = result.media
    if media.width is None or media.height is None:
        return None
    size = f"{media.width}x{media.height}"
    return f"{size}, {media.size:,} bytes" if media.size is not None else size


def show_request(out: Output, settings: Settings, file: str, spec: RequestSpec) -> None:
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


def from_history(row: dict[str, Any]) -> UploadResult:
    return UploadResult(
        media=Media(id=row["media_id"], url=row["url"], thumb_url=row["thumb_url"]),
        status_id=row["status_id"],
    )


def _reached_service(outcome: Outcome) -> bool:
    """An attempt whose answer came back: one refused before sending, or that never
    connected, did not reach the service."""
    if outcome.skipped_as is not None or outcome.request is not None:
        return False
    return outcome.error is None or outcome.error.http_status is not None


def record(
    ledger: Ledger | None, outcome: Outcome, settings: Settings, opts: UploadOptions, out: Output
) -> None:
    """An attempt that reached the service goes into the history."""
    if ledger is None or not _reached_service(outcome):
        return
    try:
        ledger.record(_record_of(outcome, settings, opts, out))
    except HistoryDeferred as exc:
        out.warn_once(str(exc))
    except HistoryUnavailable as exc:
        out.warn_once(f"the upload history cannot be used ({exc}); uploading without it")


def _record_of(outcome: Outcome, settings: Settings, opts: UploadOptions, out: Output) -> Record:
    result = outcome.result or UploadResult(media=Media())
    media = result.media
    rec = Record(
        service=settings.provider.name,
        api=settings.target.api,
        file=str(Path(outcome.file).resolve()) if outcome.file != STDIN else STDIN,
        size=outcome.size,
        sha256=outcome.sha256,
        message=opts.message,
        ok=outcome.error is None,
        media_id=media.id,
        url=media.url,
        thumb_url=media.thumb_url,
        deletion_url=media.deletion_url,
        status_id=result.status_id,
    )
    err = outcome.error
    if err is None:
        return rec
    return replace(
        rec,
        error_kind=err.kind,
        error_code=err.code,
        error_message=out.redact(err.message),
        http_status=err.http_status,
    )


def copy_urls(urls: list[str], out: Output) -> None:
    from pixup import clipboard

    if not urls:
        return
    tool = clipboard.copy("\n".join(urls))
    if tool is None:
        out.warn(f"--copy: {clipboard.MISSING}")
    else:
        out.info(f"Copied {len(urls)} URL{'s' if len(urls) > 1 else ''} to the clipboard ({tool}).")
