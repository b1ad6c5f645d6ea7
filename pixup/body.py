"""Request bodies streamed from open files in large blocks, their length known up front.

A body is a list of pieces: byte strings (multipart framing, form fields) and open files,
sent raw or as base64 text. Iterating a :class:`Body` yields blocks of up to 1 MiB, read
with ``readinto`` into one reused buffer: no copy through an encoder's 16 KiB buffer, one
read of each file. The digest of each file is fed the bytes as they are sent; for a big
file it is computed on a helper thread while the same block is being sent (hashlib and
the socket both release the GIL), so hashing costs no wall time on a second core.

The multipart framing is urllib3's (``RequestField``), the same bytes requests-toolbelt
and ``urllib3.encode_multipart_formdata`` write.
"""

from __future__ import annotations

import base64
import os
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol

BLOCK = 1 << 20
# Base64 turns 3 raw bytes into 4: raw blocks of this size encode to exactly BLOCK.
_RAW_BASE64_BLOCK = BLOCK // 4 * 3
# Files above this are hashed on a helper thread; below it the thread costs more than it saves.
_OVERLAP_FROM = 4 * BLOCK

Progress = Callable[[int, int], None]


class Digest(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...


class FileChanged(Exception):
    """The file being sent is not the size it was when the upload began."""


@dataclass(frozen=True)
class FilePiece:
    """An open file, sent from its current position as exactly ``size`` bytes (or their
    base64 text): a file that shrinks or grows meanwhile stops the upload instead of
    sending a body whose length disagrees with its Content-Length."""

    fh: IO[bytes]
    size: int
    base64: bool = False

    @property
    def length(self) -> int:
        return 4 * ((self.size + 2) // 3) if self.base64 else self.size


Piece = bytes | FilePiece


class Body:
    """An iterable body with a ``len``: requests sends it with a Content-Length."""

    def __init__(
        self,
        pieces: list[Piece],
        digest: Digest | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.pieces = pieces
        self._digest = digest
        self._progress = progress
        self._length = sum(len(p) if isinstance(p, bytes) else p.length for p in pieces)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes | memoryview]:
        sent = 0
        for block in _coalesced(self._blocks()):
            yield block
            sent += len(block)  # resumed: the block has been handed to the socket
            if self._progress is not None:
                self._progress(sent, self._length)

    def _blocks(self) -> Iterator[bytes | memoryview]:
        for piece in self.pieces:
            if isinstance(piece, bytes):
                yield piece
            elif piece.base64:
                yield from _base64_blocks(piece, self._digest)
            else:
                yield from _file_blocks(piece, self._digest)


def _coalesced(blocks: Iterator[bytes | memoryview]) -> Iterator[bytes | memoryview]:
    """Small neighbours joined into one send (a small file's framing, contents and closing
    boundary leave in one segment); big blocks pass through uncopied."""
    pending = bytearray()
    for block in blocks:
        if len(pending) + len(block) <= 64 * 1024:
            pending += block
            continue
        if pending:
            yield bytes(pending)
            pending.clear()
        if len(block) <= 64 * 1024:
            pending += block
        else:
            yield block
    if pending:
        yield bytes(pending)


def _fill(fh: IO[bytes], view: memoryview) -> int:
    """Read until ``view`` is full or the file ends; the number of bytes read."""
    got = 0
    while got < len(view):
        n = fh.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            break
        got += n
    return got


def _file_blocks(
    piece: FilePiece, digest: Digest | None, block: int = BLOCK
) -> Iterator[memoryview]:
    """The file's bytes in blocks of ``block``, each valid until the next is asked for."""
    hasher = _Hasher.for_size(digest, piece.size)
    # Two buffers when hashing on the helper thread: the next block is read while the
    # last one is still being hashed.
    buffers = [memoryview(bytearray(min(block, piece.size) or 1)) for _ in range(hasher.depth)]
    left, turn = piece.size, 0
    try:
        while left:
            view = buffers[turn % len(buffers)]
            turn += 1
            hasher.settle(len(buffers) - 1)  # the buffer's last block is in the digest
            n = _fill(piece.fh, view[: min(left, block)])
            if not n:
                raise FileChanged("the file got shorter while it was being uploaded")
            hasher.start(view[:n])
            yield view[:n]
            left -= n
        hasher.settle(0)
    finally:
        hasher.close()
    _check_size(piece)


def _base64_blocks(piece: FilePiece, digest: Digest | None) -> Iterator[bytes]:
    """The file as base64 text, encoded block by block (raw blocks are a multiple of 3
    bytes, so the pieces join into one valid encoding)."""
    encode = _base64_encoder()
    for raw in _file_blocks(piece, digest, _RAW_BASE64_BLOCK):
        yield encode(raw)


def _base64_encoder() -> Callable[[memoryview], bytes]:
    """pybase64 (SIMD, and it lets other threads run) when it is installed: the standard
    library's encoder takes 1.2 s a GiB here, holding the GIL; the same output."""
    try:
        import pybase64
    except ImportError:
        return base64.b64encode
    encode: Callable[[memoryview], bytes] = pybase64.b64encode
    return encode


def _check_size(piece: FilePiece) -> None:
    if os.fstat(piece.fh.fileno()).st_size != piece.size:
        raise FileChanged("the file changed size while it was being uploaded")


class _Hasher:
    """Feeds a digest, inline for small files, on a helper thread for big ones."""

    depth = 1  # buffers worth keeping: blocks that may be in flight at once

    def __init__(self, digest: Digest | None) -> None:
        self._digest = digest

    @staticmethod
    def for_size(digest: Digest | None, size: int) -> _Hasher:
        if digest is not None and size >= _OVERLAP_FROM:
            return _OverlappedHasher(digest)
        return _Hasher(digest)

    def start(self, data: memoryview) -> None:
        if self._digest is not None:
            self._digest.update(data)

    def settle(self, keep: int) -> None:
        """Wait until at most ``keep`` started blocks are still being hashed."""

    def close(self) -> None:
        pass


class _OverlappedHasher(_Hasher):
    depth = 2

    def __init__(self, digest: Digest) -> None:
        super().__init__(digest)
        self._todo: queue.SimpleQueue[memoryview | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
        self._pending = 0
        self._thread = threading.Thread(target=self._run, name="pixup-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assert self._digest is not None
        while (data := self._todo.get()) is not None:
            try:
                self._digest.update(data)
            except BaseException as exc:  # handed to the sending thread, raised there
                self._done.put(exc)
            else:
                self._done.put(None)

    def start(self, data: memoryview) -> None:
        self._pending += 1
        self._todo.put(data)

    def settle(self, keep: int) -> None:
        while self._pending > keep:
            failed = self._done.get()
            self._pending -= 1
            if failed is not None:
                raise failed

    def close(self) -> None:
        self._todo.put(None)


def multipart(
    fields: list[tuple[str, str]], files: list[tuple[str, str | None, str, FilePiece]]
) -> tuple[str, list[Piece]]:
    """The Content-Type and the pieces of a multipart/form-data body: ``fields`` as
    (name, value), then ``files`` as (field, filename or None, content type, file)."""
    from urllib3.fields import RequestField

    boundary = uuid.uuid4().hex
    opening = f"--{boundary}\r\n".encode("latin-1")
    pieces: list[Piece] = []
    for name, value in fields:
        field = RequestField(name=name, data=value)
        field.make_multipart()
        pieces.append(opening + field.render_headers().encode() + value.encode() + b"\r\n")
    for name, filename, content_type, piece in files:
        field = RequestField(name=name, data=b"", filename=filename)
        field.make_multipart(content_type=content_type)
        pieces += [opening + field.render_headers().encode(), piece, b"\r\n"]
    pieces.append(f"--{boundary}--\r\n".encode("latin-1"))
    return f"multipart/form-data; boundary={boundary}", pieces
