"""What an image file is, judged by its leading bytes rather than its name."""

from __future__ import annotations

import struct

_MAGIC: list[tuple[bytes, str]] = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]
# WebP is RIFF with a format tag at offset 8 (only custom providers take it).
_WEBP = (b"RIFF", b"WEBP")

# How many leading bytes sniff_type needs.
SNIFF_BYTES = 16


def sniff_type(head: bytes) -> str | None:
    """``image/jpeg``, ``image/png``, ``image/gif`` or ``image/webp``; ``None`` for
    anything else."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head.startswith(_WEBP[0]) and head[8:12] == _WEBP[1]:
        return "image/webp"
    return None


def dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or baseline/progressive JPEG, if they can be read."""
    kind = sniff_type(data[:SNIFF_BYTES])
    if kind == "image/png" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if kind == "image/gif" and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if kind == "image/jpeg":
        return _jpeg_dimensions(data)
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None
