"""What one `pixup upload` run is asked to do: the batch settings, the files, the outcomes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from pixup.errors import PixupError
    from pixup.models import RequestSpec, UploadResult

STDIN = "-"


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
    progress: bool = True  # --no-progress turns the bars off (results stay)
    details: bool = False  # --details: a table a file at a terminal, not one line


@dataclass(frozen=True)
class Item:
    """One file of the batch: the name it was given as, where it is, its size then, and
    for '-' the open copy of standard input (which has no path)."""

    name: str
    path: Path
    size: int
    spool: IO[bytes] | None = None


@dataclass
class Outcome:
    file: str
    result: UploadResult | None = None
    error: PixupError | None = None
    request: RequestSpec | None = None  # --dry-run
    size: int | None = None
    sha256: str | None = None
    skipped_as: int | None = None  # the history record of an earlier upload of the same file
    seconds: float | None = None  # how long the file's work took


def plan(names: list[str], stdin: IO[bytes] | None) -> list[Item]:
    """The items, in the order given; '-' is the spooled copy of standard input."""
    items = []
    for name in names:
        if name == STDIN and stdin is not None:
            items.append(Item(name, Path(name), os.fstat(stdin.fileno()).st_size, stdin))
        else:
            items.append(Item(name, Path(name), _size(Path(name))))
    return items


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
