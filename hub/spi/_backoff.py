"""One retry policy for everything in the hub that reconnects or retries: exponential backoff on
an injectable clock, so tests drive it with ``twisted.internet.task.Clock`` instead of sleeping."""
from __future__ import annotations

import asyncio

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime


def _reactor_clock() -> IReactorTime:
    from twisted.internet import reactor
    return reactor


class Backoff:
    """Delays of ``initial``, then ``factor`` times the last, up to ``maximum``.

    ``failed()`` returns the next delay and counts the attempt; ``succeeded()`` starts over;
    ``sleep()`` waits the next delay on the clock. With ``stable_after``, an attempt that lasted
    that long (``started()`` to ``failed()``) counts as a success first: a service that ran for an
    hour and then failed is retried at once, not after the longest delay.
    """

    def __init__(self, initial: float, maximum: float, factor: float = 2.0, *, stable_after: float | None = None,
                 clock: IReactorTime | None = None) -> None:
        if not 0 < initial <= maximum:
            raise ValueError(f"backoff needs 0 < initial <= maximum, got {initial} and {maximum}")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.stable_after = stable_after
        self._clock = clock
        self._next = initial
        self._started: float | None = None
        #: Failures since the last success.
        self.failures = 0

    @property
    def clock(self) -> IReactorTime:
        if self._clock is None:
            self._clock = _reactor_clock()
        return self._clock

    def started(self) -> None:
        """An attempt begins now (for ``stable_after``)."""
        self._started = self.clock.seconds()

    def succeeded(self) -> None:
        self._next = self.initial
        self.failures = 0

    def failed(self) -> float:
        """Count a failure; the delay to wait before the next attempt."""
        if (self.stable_after is not None and self._started is not None
                and self.clock.seconds() - self._started >= self.stable_after):
            self.succeeded()
        delay = self._next
        self._next = min(self._next * self.factor, self.maximum)
        self.failures += 1
        return delay

    async def sleep(self, delay: float | None = None) -> None:
        """Wait ``delay`` (default: the next delay, counting a failure) on the clock."""
        delay = self.failed() if delay is None else delay
        await sleep(delay, self.clock)


async def sleep(seconds: float, clock: IReactorTime | None = None) -> None:
    """``asyncio.sleep`` on a Twisted clock (the reactor, or a test's ``task.Clock``)."""
    clock = clock or _reactor_clock()
    waiting: Deferred = Deferred()
    call = clock.callLater(seconds, waiting.callback, None)
    try:
        await waiting.asFuture(asyncio.get_running_loop())
    except asyncio.CancelledError:
        if call.active():
            call.cancel()
        raise
