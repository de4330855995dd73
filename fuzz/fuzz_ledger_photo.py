"""The ledger's photo check on arbitrary bytes: an image type or PhotoRejected, never a crash,
and what it accepts starts like a JPEG or a PNG and is within the size limit."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from hub.ledger._photos import JPEG_MAGIC, PNG_MAGIC, PhotoRejected, photo_type  # noqa: E402

LIMIT = 4096


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    try:
        mime = photo_type(data, LIMIT)
    except PhotoRejected:
        return
    assert len(data) <= LIMIT
    assert data.startswith(JPEG_MAGIC if mime == "image/jpeg" else PNG_MAGIC)


def seeds() -> dict[str, bytes]:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png = (PNG_MAGIC + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
    return {"png": png, "jpeg": JPEG_MAGIC + b"\xe0\x00\x10JFIF\x00" + b"\x00" * 20 + b"\xff\xd9",
            "gif": b"GIF89a\x01\x00\x01\x00"}


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput)
