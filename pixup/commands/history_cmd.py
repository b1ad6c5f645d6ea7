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


_HEADER = ["#", "when", "service", "file", "result"]


def _table(out: Output, rows: list[dict[str, Any]]) -> None:
    """One line a record, in the terminal's width: a URL is never cut or broken across
    lines (it could not be copied whole), so the file name gives way, cut at its start
    (its end names it); an error message, last on its line, may wrap."""
    cells = [[out.shown(c) for c in _cells(row)] for row in rows]
    lines = [_HEADER, *cells]
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    urls = [len(line[4]) for line, row in zip(cells, rows, strict=True) if row["ok"]]
    room = out.columns - sum(widths[:3]) - max(urls, default=6) - 2 * 4 - 1
    widths[3] = max(8, min(room, widths[3]))
    for line in lines:
        out.line(_row_line(line, widths))


def _cells(row: dict[str, Any]) -> list[str]:
    result = row["url"] if row["ok"] else f"{row['error_kind']}: {row['error_message'] or ''}"
    if row["ok"] and row.get("deleted"):
        result = f"deleted: {result}"
    elif row["ok"] and row.get("deletion_url"):
        result = f"{result}  (pixup delete {row['id']})"
    return [
        str(row["id"]),
        _when(row["time"]),
        f"{row['service']} {row['api']}",
        row["file"],
        result or "",
    ]


def _row_line(line: list[str], widths: list[int]) -> str:
    name, width = line[3], widths[3]
    if len(name) > width:
        name = "…" + name[-(width - 1) :]
    first = [line[0].rjust(widths[0]), line[1].ljust(widths[1]), line[2].ljust(widths[2])]
    return "  ".join([*first, name.ljust(width), line[4]]).rstrip()


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
        if limit < 0:
            raise UsageError("--limit must be 0 (all records) or more")
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
            out.json_lines(rows_to_json(rows))
            return
        table = list(rows)  # the columns' widths depend on every row
        if table:
            _table(out, table)
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
                if value is not None:
                    out.line(f"{key:<14} {_shown(key, value)}")
            out.line("")

    return _guarded(out, action)


def _shown(key: str, value: Any) -> str:
    """A record's value as a person reads it: a date, yes/no, a size with its unit."""
    if key in ("time", "deleted"):
        return _when(value)
    if key == "ok":
        return "yes" if value else "no"
    if key == "size" and isinstance(value, int):
        from pixup.values import iec_size

        return f"{value:,} bytes" if value < 1024 else f"{value:,} bytes ({iec_size(value)})"
    return str(value)


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
