"""`pixup delete`: delete uploads at their host, from what the ledger recorded.

Each ID_OR_URL (a history record number, a media URL or id) names the newest successful
upload that matches. Its deletion URL is what the host gave at upload time (a custom
provider's DeletionURL, opened with GET as ShareX does; Imgur's delete hash, sent as
``DELETE`` with the credentials uploads use). Asked for at a terminal (``-y`` skips it),
refused without one unless ``-y``; ``--dry-run`` prints the requests and sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pixup.context import Context, run_guarded
from pixup.errors import NotSetError, PixupError, UsageError
from pixup.output import Output


@dataclass(frozen=True)
class DeleteOptions:
    targets: tuple[str, ...]
    yes: bool = False
    dry_run: bool = False
    endpoint: str | None = None


def run(opts: DeleteOptions, out: Output, ctx: Context) -> int:
    from pixup.history import HistoryUnavailable, Ledger

    codes: list[int] = []

    def action() -> None:
        if not opts.targets:
            raise UsageError("give the uploads to delete: history record numbers or URLs")
        try:
            ledger = Ledger.open(ctx.env)
        except HistoryUnavailable as exc:
            raise PixupError(f"the upload history cannot be read: {exc}") from None
        try:
            records = [_record(ledger, t) for t in opts.targets]
            if not opts.dry_run:
                _confirm(records, opts, ctx)
            for target, record in zip(opts.targets, records, strict=True):
                codes.append(_one(target, record, ledger, opts, out, ctx))
        finally:
            ledger.close()

    code = run_guarded(out, action)
    return code or next((c for c in codes if c), 0)


def _record(ledger: Any, target: str) -> dict[str, Any]:
    found = [r for r in ledger.find(target) if r["ok"]]
    if not found:
        raise NotSetError(f"no successful upload in the history matches {target!r}")
    record: dict[str, Any] = found[0]
    if record.get("deleted"):
        raise UsageError(f"{target}: already deleted (history record {record['id']})")
    if not record.get("deletion_url"):
        raise NotSetError(
            f"{target}: {record['service']} gave no deletion URL for this upload "
            f"(history record {record['id']}); it cannot be deleted from here"
        )
    return record


def _confirm(records: list[dict[str, Any]], opts: DeleteOptions, ctx: Context) -> None:
    if opts.yes:
        return
    if not ctx.prompt.available:
        raise UsageError("delete needs --yes when no one is at a terminal to confirm")
    what = ", ".join(str(r["url"]) for r in records)
    if not ctx.prompt.confirm(f"Delete {what} at the host? This cannot be undone."):
        raise UsageError("nothing was deleted")


def _one(
    target: str,
    record: dict[str, Any],
    ledger: Any,
    opts: DeleteOptions,
    out: Output,
    ctx: Context,
) -> int:
    """Delete one upload; its exit code (0: deleted, or shown under --dry-run)."""
    base = {"id": record["id"], "file": record["file"], "url": record["url"]}
    try:
        spec, timeout = _request(record, opts, ctx, out)
        if opts.dry_run:
            _shown(out, base, spec)
            return 0
        _send(spec, timeout, record, out)
        ledger.mark_deleted(record["id"])
    except PixupError as err:
        if out.json_mode:
            out.json({"ok": False, **base, "error": err.to_json()})
        else:
            out.error(f"{target}: {err.message}")
        return int(err.exit_code)
    if out.json_mode:
        out.json({"ok": True, **base, "deleted": True})
    else:
        out.line(f"deleted {record['url']}")
    return 0


def _request(
    record: dict[str, Any], opts: DeleteOptions, ctx: Context, out: Output
) -> tuple[Any, float]:
    from pixup.commands.common import load_settings, with_credentials
    from pixup.security import allowed_by_env, check_plain_http
    from pixup.settings import Flags

    settings = load_settings(Flags(service=record["service"], endpoint=opts.endpoint), ctx)
    provider = settings.provider
    creds = None
    if provider.delete_needs_credentials():
        api = settings.target.api
        settings = with_credentials(
            settings, provider.required_credentials(api, False), ctx, interactive=False
        )
        creds = settings.credentials
        out.add_secrets(creds.secret_values())
        check_plain_http(settings.target.base_url, provider.hosts, allowed_by_env(ctx.env))
    spec = provider.build_delete(settings.target, record["deletion_url"], creds)
    out.add_secrets(spec.basic_credentials())
    return spec, settings.timeout


def _shown(out: Output, base: dict[str, Any], spec: Any) -> None:
    if out.json_mode:
        out.json({"ok": True, **base, "dry_run": True, "request": spec.redacted()})
    else:
        out.line(f"would send {spec.method} {out.redact(spec.url)}  (deletes {base['url']})")


def _send(spec: Any, timeout: float, record: dict[str, Any], out: Output) -> None:
    from pixup import transport
    from pixup.errors import error_for_status
    from pixup.providers import decode

    with transport.open_session() as http:
        resp = transport.send(http, spec, timeout, out.debug)
    transport.refuse_redirect(resp)
    if not 200 <= resp.status < 300:
        raise error_for_status(
            resp.status,
            f"{record['service']} did not delete it (HTTP {resp.status}): "
            f"{decode.body_snippet(resp)}",
        )
