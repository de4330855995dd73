"""Device state reports become registry transitions and ``device.*`` events."""
from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from hub.events import Category, DeviceState, Event, Severity, State, new_event
from hub.kernel._registry import DeviceRegistry

# (type, severity, state) of the event a device state transition becomes; a clear (device.online)
# takes the severity of the state it ends (INFO when it ends none: the first contact).
TRANSITION_EVENTS = {
    DeviceState.DEVICE_STATE_ONLINE: ("device.online", Severity.SEVERITY_INFO, State.STATE_CLEARED),
    DeviceState.DEVICE_STATE_OFFLINE: ("device.offline", Severity.SEVERITY_MAJOR, State.STATE_RAISED),
    DeviceState.DEVICE_STATE_FAULTY: ("device.fault", Severity.SEVERITY_WARNING, State.STATE_RAISED),
}


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
