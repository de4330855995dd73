"""The device registry: every configured device's site, state and facts."""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator, Mapping

from hub.events import Device, DeviceState, set_timestamp
from hub.journal import site_field
from hub.spi import DeviceSpec

STATE_NAMES = {
    DeviceState.DEVICE_STATE_UNKNOWN: "unknown",
    DeviceState.DEVICE_STATE_ONLINE: "online",
    DeviceState.DEVICE_STATE_OFFLINE: "offline",
    DeviceState.DEVICE_STATE_FAULTY: "faulty",
}


@dataclasses.dataclass(slots=True)
class DeviceEntry:
    spec: DeviceSpec
    state: int = DeviceState.DEVICE_STATE_UNKNOWN
    reason: str = ""
    last_seen: float = 0.0
    state_since: float = dataclasses.field(default_factory=time.time)
    facts: dict[str, str] = dataclasses.field(default_factory=dict)
    #: The site's region, school and encoded field, read for every event of the device.
    region: str = dataclasses.field(init=False, repr=False, compare=False)
    school: str = dataclasses.field(init=False, repr=False, compare=False)
    site_field: bytes = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        site = self.spec.site
        self.region, self.school, self.site_field = site.region_code, site.school_id, site_field(site)

    def to_proto(self) -> Device:
        spec = self.spec
        device = Device(id=spec.id, kind=spec.kind, adapter=spec.adapter, name=spec.name,
                        state=self.state, state_reason=self.reason, facts=self.facts)
        device.site.CopyFrom(spec.site)
        if self.last_seen:
            set_timestamp(device.last_seen, self.last_seen)
        set_timestamp(device.state_since, self.state_since)
        return device


class DeviceRegistry:
    def __init__(self, specs: Iterable[DeviceSpec] = ()) -> None:
        self._devices: dict[str, DeviceEntry] = {}
        for spec in specs:
            if spec.id in self._devices:
                raise ValueError(f"device id {spec.id!r} is configured twice")
            self._devices[spec.id] = DeviceEntry(spec)

    def __len__(self) -> int:
        return len(self._devices)

    def __iter__(self) -> Iterator[DeviceEntry]:
        return iter(self._devices.values())

    def get(self, device_id: str) -> DeviceEntry | None:
        return self._devices.get(device_id)

    def for_adapter(self, instance: str) -> list[DeviceSpec]:
        return [entry.spec for entry in self._devices.values() if entry.spec.adapter == instance]

    def seen(self, device_id: str, now: float | None = None) -> None:
        entry = self._devices.get(device_id)
        if entry is not None:
            entry.last_seen = time.time() if now is None else now

    def transition(self, device_id: str, state: int, reason: str, now: float | None = None) -> DeviceEntry | None:
        """Set a device's state; returns the entry when the state changed, else None."""
        entry = self._devices.get(device_id)
        if entry is None:
            return None
        now = time.time() if now is None else now
        if state == DeviceState.DEVICE_STATE_ONLINE:
            entry.last_seen = now
        if entry.state == state:
            entry.reason = reason or entry.reason
            return None
        entry.state, entry.reason, entry.state_since = state, reason, now
        return entry

    def set_facts(self, device_id: str, facts: Mapping[str, str]) -> None:
        entry = self._devices.get(device_id)
        if entry is not None:
            entry.facts.update({str(k): str(v) for k, v in facts.items()})

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATE_NAMES.values(), 0)
        for entry in self._devices.values():
            counts[STATE_NAMES[entry.state]] += 1
        return counts
