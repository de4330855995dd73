"""Split a TCP byte stream into DC-09 frame candidates, sans-IO.

A frame runs from LF to the first CR after the CRC field (a binary CRC may itself contain CR, the
ASCII content after it never does). Bytes outside frames are reported, not silently eaten, and a
frame that grows past ``max_frame_bytes`` is dropped, so a hostile peer cannot make us buffer
without bound.
"""
from __future__ import annotations

import dataclasses

_CRC_END = 3  # LF + two bytes: where a binary CRC ends and a CR can first mean end-of-frame


@dataclasses.dataclass(frozen=True)
class Discarded:
    """Bytes thrown away: ``reason`` is ``garbage`` (outside any frame) or ``oversized``."""

    reason: str
    size: int


class FrameSplitter:
    """Feed bytes, get back whole frames (``bytes``, LF..CR inclusive) and :class:`Discarded` notes."""

    def __init__(self, max_frame_bytes: int = 1024) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._buffer = bytearray()
        self._dropping = False  # inside an oversized frame: discard up to its CR

    def feed(self, data: bytes) -> list[bytes | Discarded]:
        self._buffer += data
        out: list[bytes | Discarded] = []
        while self._buffer:
            if self._dropping:
                end = self._buffer.find(b"\r")
                size = len(self._buffer) if end < 0 else end + 1
                del self._buffer[:size]
                out.append(Discarded("oversized", size))
                if end < 0:
                    break
                self._dropping = False
                continue
            start = self._buffer.find(b"\n")
            if start != 0:
                size = len(self._buffer) if start < 0 else start
                out.append(Discarded("garbage", size))
                del self._buffer[:size]
                continue
            end = self._buffer.find(b"\r", _CRC_END)
            if 0 <= end < self.max_frame_bytes:
                out.append(bytes(self._buffer[: end + 1]))
                del self._buffer[: end + 1]
            elif end >= 0 or len(self._buffer) >= self.max_frame_bytes:
                self._dropping = True
            else:
                break
        return _merge(out)

    @property
    def pending(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buffer)


def _merge(items: list[bytes | Discarded]) -> list[bytes | Discarded]:
    """Report consecutive discards of one kind as one note (one log line per burst)."""
    merged: list[bytes | Discarded] = []
    for item in items:
        last = merged[-1] if merged else None
        if isinstance(item, Discarded) and isinstance(last, Discarded) and last.reason == item.reason:
            merged[-1] = Discarded(item.reason, last.size + item.size)
        else:
            merged.append(item)
    return merged
