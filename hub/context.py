"""The hub's implementation of the adapter SPI (:class:`hub.spi.AdapterContext`)."""
from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from hub.events import Category, DeviceState, Event, Severity, State, new_event
from hub.journal import Journal
from hub.metrics import AdapterMetrics
from hub.registry import DeviceRegistry
from hub.spi import DeviceSpec

# (type, severity, state) of the event a device state transition becomes; a clear (device.online)
# takes the severity of the state it ends (INFO when it ends none: the first contact).
TRANSITION_EVENTS = {
    DeviceState.DEVICE_STATE_ONLINE: ("device.online", Severity.SEVERITY_INFO, State.STATE_CLEARED),
    DeviceState.DEVICE_STATE_OFFLINE: ("device.offline", Severity.SEVERITY_MAJOR, State.STATE_RAISED),
    DeviceState.DEVICE_STATE_FAULTY: ("device.fault", Severity.SEVERITY_WARNING, State.STATE_RAISED),
}


#: How far back recent_events looks at most, in journaled events (of every adapter).
RECENT_EVENTS_SCANNED = 200_000

# Adapters call device_seen per message; protobuf enum attribute lookups are slow Python code.
_ONLINE = DeviceState.DEVICE_STATE_ONLINE


class DeviceStates:
    """Turns device state reports into registry transitions and ``device.*`` events.

    An adapter may report on another adapter's device (correlation: the SNMP adapter knows that the
    switch port in front of a camera is down). Such an offline report *holds* the device offline:
    its own adapter's online reports (a late answer already in flight) don't bring it back; the
    correlating adapter's online report releases the hold.
    """

    def __init__(self, registry: DeviceRegistry, submit: Callable[[Event, str], asyncio.Future[int]],
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.registry = registry
        self.submit = submit
        self.on_change = on_change
        self.log = structlog.get_logger("devices")
        self._held_by: dict[str, str] = {}  # device id -> adapter holding it offline

    def report(self, adapter: str, device_id: str, state: int, reason: str) -> None:
        current = self.registry.get(device_id)
        if current is None:
            return
        if adapter != current.spec.adapter:
            if state == DeviceState.DEVICE_STATE_OFFLINE:
                self._held_by[device_id] = adapter
            elif self._held_by.get(device_id) == adapter:
                del self._held_by[device_id]
        elif device_id in self._held_by and state == DeviceState.DEVICE_STATE_ONLINE:
            return
        previous = current.state
        entry = self.registry.transition(device_id, state, reason)
        if entry is None:
            return
        type_, severity, event_state = TRANSITION_EVENTS[state]
        if event_state == State.STATE_CLEARED and previous in TRANSITION_EVENTS:
            # A clear carries the severity of what it clears: device.online after device.offline
            # is MAJOR, so a subscriber filtering at MAJOR sees the device come back.
            severity = TRANSITION_EVENTS[previous][1]
        self.log.info("device state changed", device=device_id, adapter=adapter, state=type_.split(".")[1],
                      reason=reason)
        event = new_event(device_id=device_id, type=type_, category=Category.CATEGORY_DEVICE,
                          severity=severity, state=event_state,
                          attributes={"reason": reason, "kind": entry.spec.kind} if reason else {"kind": entry.spec.kind})
        self.submit(event, adapter)
        self.on_change()


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
