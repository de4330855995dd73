"""Warnings about one peer's bad input, rate-limited, so junk cannot become a flood of log lines.

A mebibyte of garbage on the SIA port holds a line feed every few hundred bytes, and each would be
a warning (a frame that does not parse, bytes outside any frame): about 2,000 lines. Per TCP
connection (per source address for UDP) the first ``burst`` warnings are logged in full; later
ones are only counted, and one ``sia.junk_suppressed`` line sums them up at most every
``interval_s`` and when the connection ends. A peer quiet for ``interval_s`` gets full warnings
again. Metrics are not touched here: the adapter counts every frame and byte, exactly.
"""
from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Any

__all__ = ["PeerWarnings"]


class PeerWarnings:
    """The rate-limited warnings of one peer (``peer`` and ``transport`` go on every line)."""

    def __init__(self, log: Any, peer: str, transport: str, *, burst: int = 5, interval_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.peer, self.transport = log, peer, transport
        self.burst, self.interval_s, self.clock = burst, interval_s, clock
        self.logged = 0  # full warnings since the peer was last quiet
        self.since = clock()  # start of the current summary period
        self.frames = 0  # rejected frames not logged in full since then
        self.bytes = 0  # discarded bytes not logged in full since then
        self.reasons: collections.Counter[str] = collections.Counter()

    def rejected(self, **fields: Any) -> None:
        """A frame we did not accept (``reason`` among ``fields``)."""
        if not self._logged_in_full("sia.frame_rejected", fields):
            self.frames += 1
            self._suppressed(fields["reason"])

    def discarded(self, reason: str, size: int) -> None:
        """``size`` bytes thrown away outside frames (``garbage``, ``oversized``, ``overload``)."""
        if not self._logged_in_full("sia.bytes_discarded", {"reason": reason, "size": size}):
            self.bytes += size
            self._suppressed(reason)

    def flush(self) -> None:
        """Log what was suppressed since the last summary, if anything (the connection ends)."""
        now = self.clock()
        if self.reasons:
            self.log.warning("sia.junk_suppressed", peer=self.peer, transport=self.transport,
                             frames_rejected=self.frames, bytes_discarded=self.bytes,
                             reasons=dict(sorted(self.reasons.items())), over_s=round(now - self.since, 1))
        self.frames = self.bytes = 0
        self.reasons.clear()
        self.since = now

    def _logged_in_full(self, event: str, fields: dict[str, Any]) -> bool:
        if self.logged >= self.burst and not self.reasons and self.clock() - self.since >= self.interval_s:
            self.logged = 0  # quiet for a while: this is news again
        if self.logged >= self.burst:
            return False
        self.logged += 1
        if self.logged == self.burst:
            fields = {**fields, "further": "summed up in sia.junk_suppressed"}
        self.log.warning(event, peer=self.peer, transport=self.transport, **fields)
        return True

    def _suppressed(self, reason: str) -> None:
        self.reasons[reason] += 1
        if self.clock() - self.since >= self.interval_s:
            self.flush()
