"""Checks made before any byte is sent: the batch's options, the message, each file."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from pixup.commands.upload.plan import STDIN, Batch
from pixup.errors import RejectedError, UsageError
from pixup.media import SNIFF_BYTES, sniff_type
from pixup.models import UploadOptions, UploadParams
from pixup.output import Output
from pixup.values import iec_size

# What the URL a service appends to a tweet roughly costs, for the length warning.
TWEET_LIMIT = 140
APPENDED_URL_LENGTH = 25


def check_batch(names: list[str], batch: Batch, stdin_tty: bool) -> None:
    if not 1 <= batch.jobs <= 64:
        raise UsageError("-j/--jobs must be between 1 and 64")
    if not 0 <= batch.retries <= 10:
        raise UsageError("--retries must be between 0 and 10")
    if names.count(STDIN) > 1:
        raise UsageError("'-' (standard input) can be given only once")
    if STDIN in names and stdin_tty:
        raise UsageError("'-' reads the image from standard input, but that is a terminal")
    if batch.filename is not None and STDIN not in names:
        raise UsageError("--filename names the upload read from '-' (standard input)")


def check_message(message: str | None, out: Output) -> None:
    if message is None:
        return
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            "the message is not valid text (it has bytes that are not UTF-8)"
        ) from None
    if len(message) + 1 + APPENDED_URL_LENGTH > TWEET_LIMIT:
        out.warn(
            f"the message is {len(message)} characters; with the link the service adds it "
            f"exceeds {TWEET_LIMIT} and may be cut short when posted"
        )


@contextlib.contextmanager
def spooled_stdin(names: list[str], source: IO[bytes] | None) -> Iterator[IO[bytes] | None]:
    """Standard input copied to a temporary file on disk (never into memory), so it can be
    checked before sending and streamed with a known length like any file. The file has
    no name (O_TMPFILE, or unlinked at once): a killed run leaves nothing behind."""
    if STDIN not in names:
        yield None
        return
    if source is None:
        raise UsageError("standard input is closed: there is nothing to read for '-'")
    with tempfile.TemporaryFile(prefix="pixup-stdin-") as spool:
        try:
            while chunk := source.read(1024 * 1024):
                spool.write(chunk)
        except OSError as exc:
            raise UsageError(f"cannot read standard input: {exc.strerror or exc}") from None
        spool.flush()
        yield spool


# Python's own files are close-on-exec already; O_NONBLOCK is POSIX only.
_NONBLOCK = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _open_checked(path: Path, max_size: int | None, spool: IO[bytes] | None) -> IO[bytes]:
    """The file, opened once: what is checked here is the open file, and every attempt
    sends from it, so a path re-pointed meanwhile (a symlink swapped during a retry
    wait) changes nothing. Opened without blocking: a FIFO is refused, not waited on.
    ``spool`` is standard input's copy, already open: its descriptor is duplicated."""
    try:
        fd = os.dup(spool.fileno()) if spool else os.open(path, os.O_RDONLY | _NONBLOCK)
    except FileNotFoundError:
        raise RejectedError("no such file") from None
    except OSError as exc:
        raise RejectedError(exc.strerror or "cannot be read") from None
    try:
        _check_stat(os.fstat(fd), max_size)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _check_stat(st: os.stat_result, max_size: int | None) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise RejectedError("is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise RejectedError("not a regular file")
    if st.st_size == 0:
        raise RejectedError("the file is empty")
    if max_size is not None and st.st_size > max_size:
        raise RejectedError(
            f"the file is {iec_size(st.st_size)}, over the service's limit of "
            f"{iec_size(max_size)} "
            "(--max-size changes the limit for a self-hosted server)"
        )


def preflight(
    path: Path,
    opts: UploadOptions,
    max_size: int | None,
    types: tuple[str, ...],
    spool: IO[bytes] | None = None,
) -> UploadParams:
    """Check the file before any byte is sent, and describe it for the request. The
    params hold the open file; the caller closes it (``params.source``)."""
    fh = _open_checked(path, max_size, spool)
    try:
        try:
            fh.seek(0)  # a spool's duplicate shares its offset, at the end after the copy
            head = fh.read(SNIFF_BYTES)
        except OSError as exc:
            raise RejectedError(f"cannot read: {exc.strerror}") from None
        content_type = sniff_type(head)
        if content_type is None or content_type not in types:
            raise RejectedError(_not_accepted(types, content_type, head))
    except BaseException:
        fh.close()
        raise
    return UploadParams(
        path=path, filename=path.name, content_type=content_type, options=opts, source=fh
    )


def _not_accepted(types: tuple[str, ...], content_type: str | None, head: bytes) -> str:
    kinds = [t.split("/")[1].upper().replace("WEBP", "WebP") for t in types]
    names = " or ".join([", ".join(kinds[:-1]), kinds[-1]] if len(kinds) > 1 else kinds)
    what = f"it is {content_type}" if content_type else _what(head)
    return f"not a {names} image (judged by its first bytes, not its name; {what})"


_MAGIC = {
    b"%PDF": "it looks like a PDF",
    b"PK\x03\x04": "it looks like a ZIP archive",
    b"RIFF": "it looks like a RIFF file (WebP, WAV or AVI)",
    b"BM": "it looks like a BMP image",
    b"II*\x00": "it looks like a TIFF image",
    b"MM\x00*": "it looks like a TIFF image",
    b"\x00\x00\x00": "it looks like an ISO media file (HEIC, MP4?)",
}


def _what(head: bytes) -> str:
    """A word on what the file is instead, for the pre-flight message."""
    for magic, text in _MAGIC.items():
        if head.startswith(magic):
            return text
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "found unknown binary data"
    return "found text"
