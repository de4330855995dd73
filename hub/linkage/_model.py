"""Linkage rules and camera coverage as the engine sees them (plain, frozen data; the config
section ``linkage:`` builds them, see hub.config.linkage)."""
from __future__ import annotations

import dataclasses
import datetime as _dt
import zoneinfo
from collections.abc import Mapping, Sequence

from hub.linkage._cel import Condition

__all__ = ["Action", "CoveredSite", "Coverage", "Rule", "Schedule", "SiteSelector", "TimeWindow", "Trigger",
           "MODES", "DAYS"]

MODES = ("single", "restart", "queued", "parallel")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclasses.dataclass(frozen=True)
class SiteSelector:
    """A place: every field given must equal the event's (school, building, floor, zone)."""

    school_id: str = ""
    building: str = ""
    floor: str = ""
    zone: str = ""

    def matches(self, site) -> bool:
        return all(not wanted or getattr(site, name) == wanted
                   for name, wanted in (("school_id", self.school_id), ("building", self.building),
                                        ("floor", self.floor), ("zone", self.zone)))


@dataclasses.dataclass(frozen=True)
class CoveredSite(SiteSelector):
    """A place a camera sees, and the preset that turns a PTZ camera to it ("" for a fixed one)."""

    preset: str = ""


@dataclasses.dataclass(frozen=True)
class Coverage:
    """Which cameras see which places: camera id -> the places, and its home preset."""

    sites: Mapping[str, tuple[CoveredSite, ...]] = dataclasses.field(default_factory=dict)
    home: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def covering(self, site) -> list[tuple[str, CoveredSite]]:
        """(camera, the covered place) of every camera covering ``site``, the most specific place
        first (a camera on the zone before one on the whole building), then in config order."""
        found = []
        for order, (camera, places) in enumerate(self.sites.items()):
            for place in places:
                if place.matches(site):
                    specificity = sum(1 for value in (place.building, place.floor, place.zone) if value)
                    found.append((-specificity, order, camera, place))
                    break
        return [(camera, place) for _, _, camera, place in sorted(found)]


@dataclasses.dataclass(frozen=True)
class TimeWindow:
    days: tuple[str, ...]  # of DAYS
    start: _dt.time
    end: _dt.time  # before start: the window runs past midnight

    def contains(self, local: _dt.datetime) -> bool:
        now = local.time()
        if self.start < self.end:
            return DAYS[local.weekday()] in self.days and self.start <= now < self.end
        # Past midnight: the part after midnight belongs to the day the window started.
        if now >= self.start:
            return DAYS[local.weekday()] in self.days
        return now < self.end and DAYS[(local.weekday() - 1) % 7] in self.days


@dataclasses.dataclass(frozen=True)
class Schedule:
    """When a rule may act: inside any window (none: always), and on holidays as ``on_holidays``
    says ("skip": never, "only": only then, "ignore": as any day)."""

    time_zone: str = "Asia/Shanghai"
    windows: tuple[TimeWindow, ...] = ()
    holidays: frozenset[_dt.date] = frozenset()
    on_holidays: str = "skip"

    def allows(self, epoch: float) -> bool:
        local = _dt.datetime.fromtimestamp(epoch, zoneinfo.ZoneInfo(self.time_zone))
        holiday = local.date() in self.holidays
        if self.on_holidays == "skip" and holiday:
            return False
        if self.on_holidays == "only" and not holiday:
            return False
        return not self.windows or any(window.contains(local) for window in self.windows)


@dataclasses.dataclass(frozen=True)
class Trigger:
    """Which journaled events start a rule."""

    categories: frozenset[int] = frozenset()
    type_prefixes: tuple[str, ...] = ()
    sites: tuple[SiteSelector, ...] = ()
    min_severity: int = 0
    #: An alarm class: the rule starts on that class's alarm being raised (alarm.raised), not on
    #: device events.
    alarm_class: str = ""
    #: Event states that start the rule (raised, momentary by default; a clear stops nothing).
    states: frozenset[int] = frozenset({1, 3})


@dataclasses.dataclass(frozen=True)
class Action:
    """One thing a rule does. ``kind``: snapshot, ptz_preset, relay, panel, notify, raise.

    ``cameras`` ("covering" or ids) for snapshot and ptz_preset; ``device`` for relay and panel;
    ``params`` the rest (relay output and duration, preset priority and lease, panel command,
    notify URL ...)."""

    kind: str
    cameras: tuple[str, ...] = ("covering",)
    max_cameras: int = 2
    device: str = ""
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)
    timeout: float = 10.0


@dataclasses.dataclass(frozen=True)
class Rule:
    id: str
    version: str
    trigger: Trigger
    actions: tuple[Action, ...]
    condition: Condition | None = None
    mode: str = "single"
    throttle: float = 0.0
    schedule: Schedule | None = None
    #: Where the rule was written ("hub.yaml:40"), for messages.
    source: str = ""

    def targets(self) -> Sequence[str]:
        return [a.kind for a in self.actions]
