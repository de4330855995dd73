"""Per-account supervision: each account must be heard from (any message, or a NULL link test)
within its interval; silence reports the device offline, the next message online again."""
from __future__ import annotations

from typing import Any


class Supervisor:
    def __init__(self, ctx: Any, reactor: Any) -> None:
        self.ctx = ctx
        self.reactor = reactor
        self.intervals: dict[str, float] = {}
        self.timers: dict[str, Any] = {}

    def watch(self, device_id: str, interval_s: float) -> None:
        """Start expecting ``device_id`` every ``interval_s`` seconds (the first interval starts now)."""
        self.intervals[device_id] = interval_s
        self._arm(device_id)

    def seen(self, device_id: str) -> None:
        """The device was heard from: mark it online and restart its timer."""
        self.ctx.device_seen(device_id)
        if device_id in self.intervals:
            self._arm(device_id)

    def stop(self) -> None:
        for timer in self.timers.values():
            if timer.active():
                timer.cancel()
        self.timers.clear()

    def _arm(self, device_id: str) -> None:
        timer = self.timers.get(device_id)
        if timer is not None and timer.active():
            timer.reset(self.intervals[device_id])
        else:
            self.timers[device_id] = self.reactor.callLater(self.intervals[device_id], self._expired, device_id)

    def _expired(self, device_id: str) -> None:
        interval = self.intervals[device_id]
        self.ctx.metrics.count("supervision_expired")
        self.ctx.log.warning("sia.supervision_expired", device=device_id, interval_s=interval)
        self.ctx.device_offline(device_id, f"no SIA message or NULL link test for {interval:g}s (communication failure)")
