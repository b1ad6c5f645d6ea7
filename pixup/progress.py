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


class UploadProgress:
    def __init__(self, out: Output, total_bytes: int, files: int) -> None:
        self.enabled = out.fancy
        self._out = out
        self._total_bytes = total_bytes
        self._files = files
        self._progress: Any = None
        self._overall: Any = None
        self._lock = threading.Lock()

    def __enter__(self) -> UploadProgress:
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        # URLs go to stdout; when stdout is the same terminal, let rich print them above the
        # bars, and when it is a pipe, leave it alone (never move data to stderr).
        self._progress = Progress(
            TextColumn("{task.description}", table_column=None),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(file=self._out.stderr, no_color=not self._out.color),
            redirect_stdout=self._out.stdout_tty,
            redirect_stderr=False,
            transient=True,
        )
        self._progress.start()
        if self._files > 1:
            self._overall = self._progress.add_task(
                f"all {self._files} files", total=self._total_bytes
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    @contextmanager
    def file(self, name: str, size: int) -> Iterator[Tracker | None]:
        """A tracker for one upload attempt, removed when the attempt ends."""
        if self._progress is None:
            yield None
            return
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
