"""A bound on how many cameras are set up at once (clock read and description, on the hub's
blocking pool, which other adapters share): at a county's hundreds of cameras an unbounded start
would queue every camera's setup behind every other's and starve the pool. A camera waiting for a
slot says so in its facts (``late``, the LATE column of ``campus-hub devices``, and ``setup``) and in
the ``setup_waiting`` and ``devices_late{bound="max_setups"}`` gauges, so an integrator sees why it
is late and which knob (``max_setups``) decides it.
"""
from __future__ import annotations

import asyncio
import contextlib
import time

from hub.spi import AdapterContext, LateDevices

__all__ = ["SetupSlots"]


class SetupSlots:
    def __init__(self, ctx: AdapterContext, limit: int) -> None:
        self.ctx, self.limit = ctx, limit
        self._free = asyncio.Semaphore(limit)
        self.waiting = 0
        self.late = LateDevices(ctx, "max_setups")

    @contextlib.asynccontextmanager
    async def turn(self, device_id: str):
        """Hold one setup slot for ``device_id`` while the block runs."""
        if self._free.locked():
            waiting = f"waiting: all {self.limit} setup slots busy (max_setups)"
            self.ctx.set_device_facts(device_id, {"setup": waiting})
            self.late.late(device_id, f"setup {waiting}")
        self.waiting += 1
        self.ctx.metrics.gauge("setup_waiting", self.waiting)
        started = time.monotonic()
        try:
            await self._free.acquire()
        finally:
            self.waiting -= 1
            self.ctx.metrics.gauge("setup_waiting", self.waiting)
            self.late.on_time(device_id)
        waited = time.monotonic() - started
        self.ctx.metrics.observe("setup_wait", waited)
        try:
            yield
        finally:
            self._free.release()
        self.ctx.set_device_facts(device_id, {"setup": f"done (waited {waited:.1f} s for a slot)"})
