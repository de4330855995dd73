"""CRC-16/ARC as DC-09 uses it (poly 0x8005 reflected = 0xA001, init 0, no final xor).

Beware snippets on the web that use CRC-CCITT: receivers reject their frames.

The receiver computes it twice per message (check the frame, build the answer). fastcrc does it
in native code, about forty times faster than the Python loop below, which remains as the
reference (tests compare the two) and as the fallback where fastcrc cannot be installed.
"""
from __future__ import annotations


def _table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _table()


def crc16_arc_python(data: bytes) -> int:
    """CRC-16/ARC of ``data``; ``crc16_arc(b"123456789") == 0xBB3D``."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


try:
    from fastcrc.crc16 import arc as crc16_arc
except ImportError:  # pragma: no cover - a platform without a fastcrc wheel
    crc16_arc = crc16_arc_python
