"""`pixup history`: where did that picture go? A table for people, NDJSON for scripts."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pixup.context import Context, run_guarded
from pixup.errors import NotSetError, PixupError, UsageError
from pixup.history import HistoryUnavailable, Ledger, rows_to_json
from pixup.output import Output

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str) -> float:
    """``2026-11-01``, ``2026-11-01T12:00``, or ``3d``/``12h``/``30m``/``2w`` ago."""
    match = _RELATIVE.match(text.strip().lower())
    if match:
        return time.time() - int(match.group(1)) * _SECONDS[match.group(2)]
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise UsageError(
            f"--since {text!r}: give a date (2026-11-01), a date and time (2026-11-01T12:00) "
            "or an age (30m, 12h, 3d, 2w)"
        ) from None


def _ledger(ctx: Context) -> Ledger:
    try:
        return Ledger.open(ctx.env)
    except HistoryUnavailable as exc:
        raise PixupError(f"the upload history cannot be read: {exc}") from None


def _guarded(out: Output, action: Callable[[], None]) -> int:
    """run_guarded(), with a database failing mid-way reported like one failing to open."""

    def run() -> None:
        try:
            action()
        except HistoryUnavailable as exc:
            raise PixupError(f"the upload history cannot be read: {exc}") from None

    return run_guarded(out, run)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _table(out: Output, rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("#", "when", "service", "file", "result"):
        table.add_column(column, overflow="fold")
    for row in rows:
        result = row["url"] if row["ok"] else f"{row['error_kind']}: {row['error_message'] or ''}"
        table.add_row(
            str(row["id"]),
            _when(row["time"]),
            f"{row['service']} {row['api']}",
            row["file"],
            result,
        )
    Console(file=out.stdout, no_color=not out.color, soft_wrap=False).print(table)


def list_(
    out: Output,
    ctx: Context,
    service: str | None,
    since: str | None,
    grep: str | None,
    failed: bool,
    limit: int,
) -> int:
    def action() -> None:
        if limit < 1:
            raise UsageError("--limit must be at least 1")
        if service is not None:
            from pixup import providers

            providers.get(service)
        rows = _ledger(ctx).query(
            service=service,
            since=parse_since(since) if since else None,
            grep=grep,
            failed=failed,
            limit=limit,
        )
        if out.json_mode:
            for row in rows_to_json(rows):
                out.json(row)
        elif rows:
            _table(out, rows)
        else:
            out.info(
                "No uploads recorded"
                + (" that match" if (service or since or grep or failed) else "")
                + "."
            )

    return _guarded(out, action)


def show(out: Output, ctx: Context, id_or_url: str) -> int:
    def action() -> None:
        rows = _ledger(ctx).find(id_or_url)
        if not rows:
            raise NotSetError(f"no upload in the history matches {id_or_url!r}")
        if out.json_mode:
            for row in rows_to_json(rows):
                out.json(row)
            return
        for row in rows:
            for key, value in row.items():
                if key == "time":
                    value = _when(value)
                if value is not None:
                    out.line(f"{key:<14} {value}")
            out.line("")

    return _guarded(out, action)


def forget(out: Output, ctx: Context, ids: list[int], everything: bool, yes: bool) -> int:
    def action() -> None:
        if everything == bool(ids):
            raise UsageError("give the record numbers to forget, or --all")
        ledger = _ledger(ctx)
        if everything and not yes:
            if not ctx.prompt.available:
                raise UsageError("--all needs --yes when no one is at a terminal to confirm")
            if not ctx.prompt.confirm("Forget the whole upload history?"):
                raise UsageError("nothing was forgotten")
        removed = ledger.forget(None if everything else ids)
        if out.json_mode:
            out.json({"ok": True, "removed": removed})
        else:
            out.info(f"Forgot {removed} record{'s' if removed != 1 else ''}.")

    return _guarded(out, action)
