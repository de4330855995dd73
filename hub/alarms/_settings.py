"""Alarm settings inherited down region → school → building and overridden per device.

A class (``hub.alarms.AlarmClass``) gives the defaults; an :class:`AlarmOverride` replaces some
of its settings for the alarms of one region (a GB/T 2260 prefix: province, city or county),
one school, one building of a school or one device. The settings of an alarm are its class's with
every override that applies laid on top, least specific first (province, city, county, school,
building, device), so a device's override beats its school's, which beats its county's.
Which events a class selects (categories, type prefixes, minimum severity) is not overridable:
an override changes how an alarm behaves, not whether an event is one.
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from hub.alarms._classes import AlarmClass

#: The settings an override may replace.
OVERRIDABLE = ("priority", "latch", "on_delay", "reactivation", "auto_acknowledge", "max_shelve",
               "supervisor_max_shelve", "procedure", "escalation")


@dataclasses.dataclass(frozen=True)
class AlarmOverride:
    """Settings replaced for the alarms of one place (exactly one of region / school / device;
    building with its school). ``alarm_class`` empty: alarms of every class."""

    changes: Mapping[str, object]
    alarm_class: str = ""
    region: str = ""
    school: str = ""
    building: str = ""
    device: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.changes) - set(OVERRIDABLE)
        if unknown:
            raise ValueError(f"not overridable: {', '.join(sorted(unknown))}")
        object.__setattr__(self, "changes", MappingProxyType(dict(self.changes)))

    @property
    def rank(self) -> int:
        """How specific the override is: 1-3 a region (province, city, county), 4 a school, 5 a
        building, 6 a device."""
        if self.device:
            return 6
        if self.building:
            return 5
        if self.school:
            return 4
        return len(_short(self.region)) // 2

    def applies(self, class_name: str, region: str, school: str, building: str, device: str) -> bool:
        if self.alarm_class and self.alarm_class != class_name:
            return False
        if self.device:
            return self.device == device
        if self.school:
            return self.school == school and (not self.building or self.building == building)
        return region.startswith(_short(self.region))


def _short(prefix: str) -> str:
    """A region prefix as its significant digits (140800 → 1408)."""
    if len(prefix) == 6:
        while len(prefix) > 2 and prefix.endswith("00"):
            prefix = prefix[:-2]
    return prefix


class AlarmSettings:
    """The settings each alarm has: its class's, with the overrides for its place applied."""

    def __init__(self, classes: Sequence[AlarmClass], overrides: Sequence[AlarmOverride] = ()) -> None:
        self.classes = tuple(classes)
        self.by_name = {alarm_class.name: alarm_class for alarm_class in self.classes}
        # Least specific first; equally specific ones in configuration order (a later one wins).
        self.overrides = tuple(sorted(overrides, key=lambda override: override.rank))
        self.resolve = functools.lru_cache(maxsize=65536)(self._resolve)

    def _resolve(self, class_name: str, region: str, school: str, building: str, device: str) -> AlarmClass | None:
        alarm_class = self.by_name.get(class_name)
        if alarm_class is None:
            return None
        changes: dict[str, object] = {}
        for override in self.overrides:
            if override.applies(class_name, region, school, building, device):
                changes.update(override.changes)
        return dataclasses.replace(alarm_class, **changes) if changes else alarm_class

    def of(self, alarm) -> AlarmClass | None:
        """The settings of ``alarm`` (a hub.alarms.Alarm), or None when its class is gone."""
        return self.resolve(alarm.class_name, alarm.region, alarm.school, alarm.building, alarm.device)
