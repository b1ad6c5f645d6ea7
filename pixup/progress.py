"""Progress bars on stderr: one per file in flight and one for the whole batch.

Only for a person at a terminal (never under --json, -q, or when stderr is not a terminal);
driven by the bytes handed to the socket. rich is imported only when shown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pixup.output import Output

Tracker = Callable[[int, int], None]
_REDRAW_SECONDS = 0.1


class UploadProgress:
    def __init__(self, out: Output, total_bytes: int, files: int) -> None:
        self.enabled = out.fancy
        self._out = out
        self._total_bytes = total_bytes
        self._files = files
        self._progress: Any = None
        self._overall: Any = None
        # Only the redraw thread writes to the terminal while the display is up (and the
        # main thread, to start and stop it), under _lock. Workers change tasks through
        # rich's own lock and queue lines under _queue: they never wait for a redraw.
        self._lock = threading.RLock()
        self._queue = threading.Lock()
        self._pending: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __enter__(self) -> UploadProgress:
        if not self.enabled:
            return self
        from rich.console import Console

        # One live display, transient: it is redrawn in place and gone before pixup ends.
        # Everything printed meanwhile goes above it, through print() below. rich's own
        # refresh thread works out where the display is and writes it apart from a print
        # made meanwhile in another thread, which left stale bars on the screen: here every
        # redraw, print and change happens under one lock.
        console = Console(file=self._out.stderr, no_color=not self._out.color)
        self._progress = _progress_class()(
            *_columns(self._out.color),
            console=console,
            auto_refresh=False,
            redirect_stdout=False,
            redirect_stderr=False,
            transient=True,
        )
        with self._lock:
            self._progress.start()
            if self._files > 1:
                self._overall = self._progress.add_task(
                    f"all {self._files} files", total=self._total_bytes
                )
        self._stop = threading.Event()
        self._redraws = threading.Thread(target=self._redraw, name="pixup-progress", daemon=True)
        self._redraws.start()
        self._out.live_console = self
        return self

    def _redraw(self) -> None:
        while not self._stop.wait(_REDRAW_SECONDS):
            with self._lock:
                self._flush()
                self._progress.redraw()

    def print(self, *renderables: Any, **options: Any) -> None:
        """Print above the display (Output's lines and tables come here), at the next
        redraw: each print under a live display redraws the whole display after it, so
        the lines of a tenth of a second go out in one print (a 200-file batch took 2.4x
        as long at a terminal as with -q when each line was printed at once)."""
        with self._queue:
            self._pending.append((renderables, options))

    def _flush(self) -> None:
        """Print the waiting lines, those printed alike in one call (the caller holds the
        lock)."""
        from rich.console import Group

        with self._queue:
            pending, self._pending = self._pending, []
        while pending:
            options = pending[0][1]
            alike = 0
            while alike < len(pending) and pending[alike][1] == options:
                alike += 1
            group = [r for renderables, _ in pending[:alike] for r in renderables]
            self._progress.console.print(Group(*group), **options)
            del pending[:alike]

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._stop.set()
            self._redraws.join()
            self._out.live_console = None
            with self._lock:
                self._flush()
                self._progress.stop()

    @contextmanager
    def file(self, name: str, size: int) -> Iterator[Tracker | None]:
        """A tracker for one upload attempt, removed when the attempt ends."""
        if self._progress is None:
            yield None
            return
        task = self._progress.add_task(name, total=size)
        counted = [0]  # this attempt's own: only its worker thread changes it

        def track(sent: int, total: int) -> None:
            done = min(size, size * sent // total) if total else size
            delta, counted[0] = done - counted[0], done
            self._progress.update(task, completed=done)
            if self._overall is not None:
                self._progress.advance(self._overall, delta)

        try:
            yield track
        finally:
            # A failed attempt gives its bytes back to the overall bar.
            self._progress.remove_task(task)
            if self._overall is not None and counted[0] != size:
                self._progress.advance(self._overall, -counted[0])

    def file_done(self, size: int) -> None:
        """A file that finished without an attempt reaching the bar (pre-flight failure)."""
        if self._overall is not None:
            self._progress.advance(self._overall, size)


def _progress_class() -> Any:
    """rich's Progress, redrawn only when asked: its add_task redraws the whole display
    at once, from whichever worker thread adds the task."""
    from rich.progress import Progress

    class Quiet(Progress):
        def refresh(self) -> None:
            pass

        def redraw(self) -> None:
            super().refresh()

    return Quiet


def _columns(color: bool) -> list[Any]:
    """A name cut to fit (never wrapped), a bar (or, without colour, where a bar of one
    character drawn twice would show nothing, a percentage), bytes, speed and a spinner
    that moves while a small file waits for its answer."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        SpinnerColumn,
        TextColumn,
        TransferSpeedColumn,
    )
    from rich.table import Column

    name = Column(no_wrap=True, overflow="ellipsis", min_width=8, max_width=32)
    meter = BarColumn() if color else TextColumn("{task.percentage:>3.0f}%")
    return [
        SpinnerColumn("line"),
        TextColumn("{task.description}", table_column=name),
        meter,
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
    ]
