"""The hub's implementation of the adapter SPI (:class:`hub.spi.AdapterContext`)."""
from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from hub.events import DeviceState, Event
from hub.journal import Journal
from hub.kernel._device_states import DeviceStates
from hub.kernel._metrics import AdapterMetrics
from hub.spi import DeviceSpec

#: How far back recent_events looks at most, in journaled events (of every adapter).
RECENT_EVENTS_SCANNED = 200_000

# Adapters call device_seen per message; protobuf enum attribute lookups are slow Python code.
_ONLINE = DeviceState.DEVICE_STATE_ONLINE


class HubAdapterContext:
    def __init__(self, instance: str, devices: Sequence[DeviceSpec], submit: Callable[[Event, str], asyncio.Future[int]],
                 states: DeviceStates, metrics: AdapterMetrics, pool: concurrent.futures.Executor,
                 journal: Journal) -> None:
        self.instance = instance
        self.devices = list(devices)
        self.all_devices = [entry.spec for entry in states.registry]
        self.log = structlog.get_logger("adapter").bind(adapter=instance)
        self.metrics = metrics
        self._submit = submit
        self._states = states
        self._pool = pool
        self._journal = journal

    def emit(self, event: Event) -> asyncio.Future[int]:
        return self._submit(event, self.instance)

    def device_seen(self, device_id: str) -> None:
        self._states.registry.seen(device_id)
        entry = self._states.registry.get(device_id)
        if entry is not None and entry.state != _ONLINE:
            self._states.report(self.instance, device_id, _ONLINE, "")

    def device_online(self, device_id: str, reason: str = "") -> None:
        self._states.report(self.instance, device_id, DeviceState.DEVICE_STATE_ONLINE, reason)

    def device_offline(self, device_id: str, reason: str) -> None:
        self._states.report(self.instance, device_id, DeviceState.DEVICE_STATE_OFFLINE, reason)

    def device_faulty(self, device_id: str, reason: str) -> None:
        self._states.report(self.instance, device_id, DeviceState.DEVICE_STATE_FAULTY, reason)

    def set_device_facts(self, device_id: str, facts: Mapping[str, str]) -> None:
        self._states.registry.set_facts(device_id, facts)

    async def run_blocking(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def recent_events(self, seconds: float) -> list[Event]:
        own_devices = {device.id for device in self.devices}
        entries = await self._journal.entries_since(time.time() - seconds, RECENT_EVENTS_SCANNED)
        events = [entry.event() for entry in entries if entry.device in own_devices]
        return [event for event in events if event.adapter == self.instance]
