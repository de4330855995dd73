"""The figures of a report, computed from :class:`hub.reports._model.Facts` (pure).

Connectivity, for a window [start, end] (a "now" report is the window ending now that is
``networked_lookback`` long):

- **inventory (在册数)**: devices in the inventory at ``end``;
- **networked (联网数)**: of those, the ones online at some moment of the window;
- **online (在线数)**: of those, the ones online at ``end``;
- **联网率** = networked / inventory;
- **在线率** = the inventory's online seconds within the window / its inventory seconds within
  the window: a device that joined mid-window counts from the moment it joined.

Every figure is given per school, county, city and province, per device class and for all
classes together ("all").
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable

from hub.reports._model import Facts, Track
from hub.reports._settings import ReportSettings

ALL_CLASSES = "all"
LEVELS = ("province", "city", "county", "school")


@dataclasses.dataclass
class Row:
    level: str
    code: str
    name: str
    device_class: str
    inventory: int = 0
    networked: int = 0
    online: int = 0
    online_seconds: float = 0.0
    inventory_seconds: float = 0.0

    @property
    def networked_rate(self) -> float:
        return self.networked / self.inventory if self.inventory else 0.0

    @property
    def online_rate(self) -> float:
        return self.online_seconds / self.inventory_seconds if self.inventory_seconds else 0.0

    @property
    def online_now_rate(self) -> float:
        return self.online / self.inventory if self.inventory else 0.0


def places(track: Track) -> list[tuple[str, str]]:
    """(level, code) of every place a device counts in, top first: province "14", city "1408",
    county "140802", school id."""
    region = track.region
    found = []
    if len(region) == 6 and region.isascii() and region.isdigit():
        found.append(("province", region[:2]))
        if region[2:4] != "00":
            found.append(("city", region[:4]))
            if region[4:] != "00":
                found.append(("county", region))
    found.append(("school", track.school))
    return found


def place_name(settings: ReportSettings, level: str, code: str) -> str:
    if level == "school":
        return settings.school_names.get(code, code)
    return settings.region_names.get(code, code)


def connectivity(facts: Facts, settings: ReportSettings, start: float, end: float,
                 include: Callable[[Track], bool] = lambda track: True, levels: Iterable[str] = LEVELS,
                 device_classes: Iterable[str] = ()) -> list[Row]:
    """Rows of the connectivity report over [start, end], for the tracks ``include`` admits."""
    levels, wanted = set(levels), set(device_classes)
    rows: dict[tuple[str, str, str], Row] = {}
    for track in facts.tracks.values():
        if not track.in_inventory(end) or not include(track):
            continue
        if wanted and track.device_class not in wanted:
            continue
        joined = max(start, track.registered_at)
        inventory_seconds = max(0.0, end - joined)
        online_seconds = track.online_seconds(joined, end)
        networked = track.ever_online(joined, end)
        online = track.is_online(end)
        for level, code in places(track):
            if level not in levels:
                continue
            for device_class in (track.device_class, ALL_CLASSES):
                key = (level, code, device_class)
                row = rows.get(key)
                if row is None:
                    row = rows[key] = Row(level, code, place_name(settings, level, code), device_class)
                row.inventory += 1
                row.networked += networked
                row.online += online
                row.online_seconds += online_seconds
                row.inventory_seconds += inventory_seconds
    order = {level: i for i, level in enumerate(LEVELS)}
    classes = {name: i for i, name in enumerate((ALL_CLASSES, "panic", "video", "fire", "network", "power",
                                                  "access", "other"))}
    return sorted(rows.values(), key=lambda r: (order[r.level], r.code, classes.get(r.device_class, 99)))


# --- test compliance ----------------------------------------------------------------------------
@dataclasses.dataclass
class PanicTest:
    device: str
    school: str
    region: str
    passed: bool
    last_test_at: float = 0.0
    last_delay: float = 0.0
    reason: str = ""


@dataclasses.dataclass
class FireTests:
    device: str
    school: str
    region: str
    month: str
    transmissions: int
    required: int

    @property
    def passed(self) -> bool:
        return self.transmissions >= self.required


@dataclasses.dataclass
class FalseAlarmDay:
    device: str
    school: str
    region: str
    day: str
    count: int


@dataclasses.dataclass
class Compliance:
    panic: list[PanicTest]
    fire: list[FireTests]
    false_alarm_days: list[FalseAlarmDay]

    @property
    def panic_rate(self) -> float:
        """一键报警完好率: panic devices whose test arrived in time, over all panic devices."""
        return sum(t.passed for t in self.panic) / len(self.panic) if self.panic else 0.0


def local_day(settings: ReportSettings, at: float) -> dt.date:
    return dt.datetime.fromtimestamp(at + settings.utc_offset, dt.timezone.utc).date()


def month_start(settings: ReportSettings, at: float) -> float:
    day = local_day(settings, at)
    first = dt.datetime(day.year, day.month, 1, tzinfo=dt.timezone.utc)
    return first.timestamp() - settings.utc_offset


def panic_test(track: Track, settings: ReportSettings, at: float) -> PanicTest:
    """Did ``track`` send a test within the period before ``at`` that reached the hub in time?"""
    since = at - settings.panic_test_period
    recent = [test for test in track.tests if since <= test[0] <= at]
    result = PanicTest(track.device, track.school, track.region, False)
    if not recent:
        earlier = [test for test in track.tests if test[0] < since]
        result.reason = "no test within the period" + (
            f" (last {dt.datetime.fromtimestamp(earlier[-1][0], dt.timezone.utc):%Y-%m-%d %H:%M} UTC)"
            if earlier else "")
        if earlier:
            result.last_test_at, result.last_delay = earlier[-1]
        return result
    result.last_test_at, result.last_delay = recent[-1]
    if any(delay <= settings.panic_test_max_delay for _, delay in recent):
        result.passed = True
    else:
        result.reason = (f"tests arrived late: the last took {recent[-1][1]:.1f} s to reach the hub "
                         f"(limit {settings.panic_test_max_delay:g} s)")
    return result


def compliance(facts: Facts, settings: ReportSettings, at: float,
               include: Callable[[Track], bool] = lambda track: True, since: float | None = None) -> Compliance:
    """Test compliance as of ``at``: panic tests, this month's fire transmissions, and days since
    ``since`` (default: the start of the month) with more false alarms than allowed."""
    panic, fire, days = [], [], []
    month_begins = month_start(settings, at)
    since = month_begins if since is None else since
    month = local_day(settings, at).strftime("%Y-%m")
    for track in facts.tracks.values():
        if not track.in_inventory(at) or not include(track):
            continue
        if track.device_class == "panic":
            panic.append(panic_test(track, settings, at))
        elif track.device_class == "fire":
            count = sum(1 for received, _ in track.tests if month_begins <= received <= at)
            fire.append(FireTests(track.device, track.school, track.region, month, count,
                                  settings.fire_tests_per_month))
        per_day: dict[dt.date, int] = {}
        for when in track.false_alarms:
            if since <= when <= at:
                day = local_day(settings, when)
                per_day[day] = per_day.get(day, 0) + 1
        for day, count in sorted(per_day.items()):
            if count > settings.false_alarms_per_day:
                days.append(FalseAlarmDay(track.device, track.school, track.region, day.isoformat(), count))
    panic.sort(key=lambda t: (t.passed, t.school, t.device))
    fire.sort(key=lambda t: (t.passed, t.school, t.device))
    return Compliance(panic, fire, days)


__all__ = ["ALL_CLASSES", "Compliance", "FalseAlarmDay", "FireTests", "LEVELS", "PanicTest", "Row",
           "compliance", "connectivity", "local_day", "month_start", "panic_test", "places"]
