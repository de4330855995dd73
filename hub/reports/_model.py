"""The facts reports are computed from, taken from journal entries (pure: no I/O, no clock).

``Facts.apply(entry)`` takes one journaled event; every time is the entry's ``received_at`` (the
hub's clock when the event was journaled), so the same journal always gives the same facts and
the same figures, however often it is replayed.

What is taken:
- ``report.census`` / ``report.retired`` (category LEDGER, journaled by a hub for each of its
  own devices at start and once a day): the inventory, each device's kind, class, hub and the
  time it first joined, and its state at the census (a census at start says "unknown": the hub
  knows nothing of a device until it reports again).
- ``device.online`` / ``device.offline`` / ``device.fault``: a device's connection. A faulty
  device still talks to the hub, so it counts as online.
- test reports (``system.test`` ...) of panic devices and fire panels, with how long they took to
  reach the hub (received_at minus the device's occurred_at).
- ``alarm.closed`` with disposition ``false``: a false alarm of the alarm's device.

A device the hub has never had a census of (an event forwarded from a hub below) joins the
inventory at its first ``device.*`` event, with the kind that event names.
"""
from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable

from hub.events import Category
from hub.reports._classes import DeviceClasses

CENSUS = "report.census"
RETIRED = "report.retired"
REPORT_CATEGORY = Category.CATEGORY_LEDGER
_ONLINE_TYPES = {"device.online": True, "device.fault": True, "device.offline": False}
#: Census states that count as online.
ONLINE_STATES = frozenset({"online", "faulty"})


@dataclasses.dataclass(slots=True)
class Track:
    """One device as reports see it."""

    device: str
    region: str
    school: str
    kind: str
    device_class: str
    hub: str = ""
    registered_at: float = 0.0
    #: When it left the inventory (0.0: it is in it).
    retired_at: float = 0.0
    #: Times its connection changed and what it became (True: online), oldest first.
    times: list[float] = dataclasses.field(default_factory=list)
    online: list[bool] = dataclasses.field(default_factory=list)
    #: Test reports: (received_at, seconds it took to reach the hub).
    tests: list[tuple[float, float]] = dataclasses.field(default_factory=list)
    #: Times of false alarms.
    false_alarms: list[float] = dataclasses.field(default_factory=list)

    def in_inventory(self, at: float) -> bool:
        return self.registered_at <= at and not (self.retired_at and self.retired_at <= at)

    def is_online(self, at: float) -> bool:
        i = bisect.bisect_right(self.times, at)
        return bool(i) and self.online[i - 1]

    def set_online(self, at: float, online: bool) -> None:
        if self.online and self.online[-1] == online:
            return
        self.times.append(at)
        self.online.append(online)

    def online_seconds(self, start: float, end: float) -> float:
        """Seconds online within [start, end]."""
        if end <= start:
            return 0.0
        times, online = self.times, self.online
        i = bisect.bisect_right(times, start)
        total, state, since = 0.0, bool(i) and online[i - 1], start
        for j in range(i, len(times)):
            at = times[j]
            if at >= end:
                break
            if state:
                total += at - since
            state, since = online[j], at
        if state:
            total += end - since
        return total

    def ever_online(self, start: float, end: float) -> bool:
        """Online at some moment within [start, end]."""
        if self.is_online(start):
            return True
        i = bisect.bisect_right(self.times, start)
        j = bisect.bisect_right(self.times, end)
        return any(self.online[i:j])

    def prune(self, before: float) -> None:
        """Forget what happened before ``before`` (keeping the state then)."""
        i = bisect.bisect_right(self.times, before)
        if i > 1:
            del self.times[:i - 1], self.online[:i - 1]
        self.tests = [test for test in self.tests if test[0] >= before]
        self.false_alarms = [at for at in self.false_alarms if at >= before]


class Facts:
    """Every device's track, fed with journal entries in sequence order."""

    def __init__(self, classes: DeviceClasses, panic_test_types: Iterable[str] = ("system.test",),
                 fire_test_types: Iterable[str] = ("system.test",)) -> None:
        self.classes = classes
        self.tracks: dict[str, Track] = {}
        self.test_types = {"panic": tuple(panic_test_types), "fire": tuple(fire_test_types)}
        #: The journal sequence the facts reflect, and the newest entry time seen.
        self.position = 0
        self.latest = 0.0

    def apply(self, entry) -> None:
        """Take one journal entry (an hub.journal.Entry)."""
        self.position = entry.seq
        at = entry.received_at
        if at > self.latest:
            self.latest = at
        type_ = entry.type
        category = entry.category
        if category == Category.CATEGORY_DEVICE:
            online = _ONLINE_TYPES.get(type_)
            if online is not None:
                track = self.tracks.get(entry.device)
                if track is None:
                    event = entry.event()
                    track = self._track(entry.device, entry.region, entry.school, event.attributes.get("kind", ""),
                                        "", at)
                track.set_online(at, online)
        elif category == REPORT_CATEGORY and type_.startswith("report."):
            if type_ == CENSUS:
                self._census(entry, at)
            elif type_ == RETIRED and entry.device in self.tracks:
                self.tracks[entry.device].retired_at = at
        elif category == Category.CATEGORY_ALARM:
            if type_ == "alarm.closed":
                event = entry.event()
                if event.attributes.get("disposition") == "false" and entry.device in self.tracks:
                    self.tracks[entry.device].false_alarms.append(at)
        else:
            track = self.tracks.get(entry.device)
            if track is not None and track.device_class in self.test_types \
                    and type_.startswith(self.test_types[track.device_class]):
                event = entry.event()
                occurred = event.occurred_at.seconds + event.occurred_at.nanos / 1e9
                track.tests.append((at, max(0.0, at - occurred)))

    def _track(self, device: str, region: str, school: str, kind: str, hub: str, at: float) -> Track:
        track = Track(device, region, school, kind, self.classes.of(device, kind), hub, at)
        self.tracks[device] = track
        return track

    def _census(self, entry, at: float) -> None:
        attributes = entry.event().attributes
        device, kind = entry.device, attributes.get("kind", "")
        track = self.tracks.get(device)
        if track is None or track.retired_at:
            registered = float(attributes.get("registered_at") or at)
            if track is None:
                track = self._track(device, entry.region, entry.school, kind, attributes.get("hub", ""), registered)
            else:
                track.retired_at, track.registered_at = 0.0, at
        track.region, track.school, track.kind = entry.region, entry.school, kind
        track.hub = attributes.get("hub", track.hub)
        track.device_class = attributes.get("device_class") or self.classes.of(device, kind)
        if "state" in attributes:
            track.set_online(at, attributes["state"] in ONLINE_STATES)

    def prune(self, before: float) -> None:
        for track in self.tracks.values():
            track.prune(before)

    # --- snapshots (see hub.journal.SnapshotKeeper) ------------------------------------------------
    def state(self) -> tuple:
        """Everything the facts hold, as plain values (equal states: equal facts)."""
        return (self.position, self.latest,
                [tuple(getattr(track, name) for name in TRACK_FIELDS) for track in self.tracks.values()])

    def restore(self, state: tuple) -> None:
        """Take back what :meth:`state` gave (of the same TRACK_FIELDS)."""
        self.position, self.latest, tracks = state
        self.tracks = {}
        for values in tracks:
            track = Track(*values)
            self.tracks[track.device] = track


#: What a snapshot holds of a track, in order (a change changes the snapshot's format).
TRACK_FIELDS = tuple(field.name for field in dataclasses.fields(Track))
