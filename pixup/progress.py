"""Progress bars on stderr: one per file in flight and one for the whole batch.

Only for a person at a terminal (never under --json, -q, or when stderr is not a terminal);
driven by the bytes the multipart encoder has read. rich is imported only when shown.
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
        self._lock = threading.RLock()

    def __enter__(self) -> UploadProgress:
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import Progress

        # One live display, transient: it is redrawn in place and gone before pixup ends.
        # Everything printed meanwhile goes above it, through print() below. rich's own
        # refresh thread works out where the display is and writes it apart from a print
        # made meanwhile in another thread, which left stale bars on the screen: here every
        # redraw, print and change happens under one lock.
        console = Console(file=self._out.stderr, no_color=not self._out.color)
        self._progress = Progress(
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
                self._progress.refresh()

    def print(self, *renderables: Any, **options: Any) -> None:
        """Print above the display (Output's lines and tables come here)."""
        with self._lock:
            self._progress.console.print(*renderables, **options)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._stop.set()
            self._redraws.join()
            self._out.live_console = None
            with self._lock:
                self._progress.stop()

    @contextmanager
    def file(self, name: str, size: int) -> Iterator[Tracker | None]:
        """A tracker for one upload attempt, removed when the attempt ends."""
        if self._progress is None:
            yield None
            return
        with self._lock:
            task = self._progress.add_task(name, total=size)
        counted = [0]

        def track(sent: int, total: int) -> None:
            done = min(size, size * sent // total) if total else size
            with self._lock:
                delta, counted[0] = done - counted[0], done
                self._progress.update(task, completed=done)
                if self._overall is not None:
                    self._progress.advance(self._overall, delta)

        try:
            yield track
        finally:
            with self._lock:
                # A failed attempt gives its bytes back to the overall bar.
                self._progress.remove_task(task)
                if self._overall is not None and counted[0] != size:
                    self._progress.advance(self._overall, -counted[0])

    def file_done(self, size: int) -> None:
        """A file that finished without an attempt reaching the bar (pre-flight failure)."""
        if self._overall is not None:
            with self._lock:
                self._progress.advance(self._overall, size)


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
