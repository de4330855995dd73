"""Devices that are late because of a bound an integrator sets: a concurrency limit (cameras set
up at once, SNMP polls in flight) or a per-request timeout on a shared connection (Modbus panels
behind one converter wait for each other).

An adapter says so per device with :meth:`LateDevices.late` (the reason names the option that
decides it) and takes it back with :meth:`LateDevices.on_time`. The reason is the device's
``late`` fact, which ``campus-hub devices`` shows in its LATE column, and the adapter's
``devices_late`` gauge counts the late devices per bound (label ``bound``, the option's name).
"""
from __future__ import annotations

from hub.spi._adapter import AdapterContext

__all__ = ["LATE_FACT", "LateDevices"]

#: The device fact holding why a device is late ('' when it is on time).
LATE_FACT = "late"


class LateDevices:
    """The devices of one adapter late because of one bound (``bound``: the option's name)."""

    def __init__(self, ctx: AdapterContext, bound: str) -> None:
        self.ctx, self.bound = ctx, bound
        self._late: set[str] = set()
        ctx.metrics.gauge("devices_late", 0, bound=bound)

    def late(self, device_id: str, reason: str) -> None:
        self.ctx.set_device_facts(device_id, {LATE_FACT: reason})
        if device_id not in self._late:
            self._late.add(device_id)
            self.ctx.metrics.gauge("devices_late", len(self._late), bound=self.bound)

    def on_time(self, device_id: str) -> None:
        if device_id in self._late:
            self._late.discard(device_id)
            self.ctx.set_device_facts(device_id, {LATE_FACT: ""})
            self.ctx.metrics.gauge("devices_late", len(self._late), bound=self.bound)

    def __contains__(self, device_id: str) -> bool:
        return device_id in self._late

    def __len__(self) -> int:
        return len(self._late)
