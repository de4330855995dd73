"""What the pages show, without HTML: scope checks, the queue's filters and order, what changed
behind a stale action, device history strips, times in the hub's zone."""
from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable

from hub.access import Scope, Selection
from hub.alarms import Alarm, Change, Shelving
from hub.alarms._journaled import PRIORITY_SEVERITY

FILTERS = ("needs_action", "escalated", "shelved", "all")
#: Most rows a queue page renders; the count above it says how many there are.
MAX_ROWS = 2000
#: Rows a queue page comes with (more than a screen holds); the rest follows when scrolled to:
#: a 1,000-row page took Chromium 778 ms to load, most of it laying out rows nobody saw yet.
FIRST_SCREEN = 60


def alarm_matcher(scope: Scope) -> Callable[[Alarm], bool]:
    """The scope's predicate over an alarm, as AlarmService applies it (place, category, type)."""
    match = Selection(scope).matcher()
    return lambda a: match(a.region, a.school, a.category, PRIORITY_SEVERITY.get(a.priority, 0), a.type, a.device)


def place_matcher(scope: Scope) -> Callable[[str, str, str], bool]:
    """The scope's predicate over (region, school, device)."""
    return Selection(scope).place_matcher()


def needs_action(alarm: Alarm) -> bool:
    """Unacknowledged and annunciated (not shelved, suppressed or out of service)."""
    return (not alarm.acknowledged and not alarm.out_of_service and not alarm.suppressed
            and alarm.shelving is Shelving.UNSHELVED)


def queue(alarms: Iterable[Alarm], scope: Scope, desk_level: int, which: str) -> list[Alarm]:
    """The alarms of filter ``which`` in ``scope``: most urgent first (priority, then escalation),
    newest first within them, as ``campus-hub alarms`` and ListAlarms order them."""
    in_scope = alarm_matcher(scope)
    if which == "needs_action":
        chosen = (a for a in alarms if needs_action(a) and in_scope(a))
    elif which == "escalated":
        chosen = (a for a in alarms if a.retained and desk_level and a.escalation_level >= desk_level
                  and in_scope(a))
    elif which == "shelved":
        chosen = (a for a in alarms if a.shelving is not Shelving.UNSHELVED and in_scope(a))
    else:
        chosen = (a for a in alarms if (a.retained or not a.closed) and in_scope(a))
    return sorted(chosen, key=lambda a: (a.priority, -a.escalation_level, -a.raised_at, a.id))


#: Fields whose change an operator is told about when their action was on an older revision.
_TOLD = ("state", "assignee", "escalation_level", "last_comment", "shelving", "closed", "condition")


def what_changed(seen: int, changes: list[Change]) -> list[tuple[int, str, str, dict[str, tuple]]]:
    """The changes after revision ``seen``: (revision, kind, actor, {field: (before, after)})."""
    told = []
    before = None
    for change in changes:
        alarm = change.alarm
        if alarm.revision <= seen:
            before = alarm
            continue
        fields = {}
        if before is not None:
            for name in _TOLD:
                old, new = getattr(before, name), getattr(alarm, name)
                if old != new:
                    fields[name] = (_plain(old), _plain(new))
        told.append((alarm.revision, change.kind, alarm.last_actor, fields))
        before = alarm
    return told


def _plain(value):
    return value.value if hasattr(value, "value") else value


# --- device history ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Segment:
    """One stretch of a device's state within a strip: x and width in 0..1000 (permille of it)."""

    x: int
    width: int
    state: str


#: Width (permille) the current state takes at least at the end of a strip.
CURRENT_MIN = 4


def strip(transitions: list[tuple[float, str]], now: float, window: float) -> list[Segment]:
    """Segments of the last ``window`` seconds from ``transitions`` ((time, state), oldest first);
    before the first one known the state is "unknown"."""
    start = now - window
    state, since = "unknown", start
    segments = []

    def add(until: float) -> None:
        x0 = int((max(since, start) - start) / window * 1000)
        x1 = int((min(until, now) - start) / window * 1000)
        if x1 > x0:
            segments.append(Segment(x0, x1 - x0, state))

    for when, new_state in transitions:
        if when <= start:
            state = new_state
            continue
        add(when)
        state, since = new_state, when
    add(now)
    if state != "unknown" and (not segments or segments[-1].state != state):
        # The current state is always visible (a change a moment ago is a sliver at the end).
        while segments and segments[-1].x >= 1000 - CURRENT_MIN:
            segments.pop()
        if segments and segments[-1].x + segments[-1].width > 1000 - CURRENT_MIN:
            last = segments.pop()
            segments.append(Segment(last.x, 1000 - CURRENT_MIN - last.x, last.state))
        segments.append(Segment(1000 - CURRENT_MIN, CURRENT_MIN, state))
    return segments


# --- time -------------------------------------------------------------------------------------------
class HubTime:
    """Times as the console shows them: in the hub's zone, with its name and offset."""

    def __init__(self, zone: str) -> None:
        self.name = zone
        self.zone = zoneinfo.ZoneInfo(zone)

    def label(self, now: float) -> str:
        """e.g. "Asia/Shanghai (UTC+08:00)"."""
        offset = dt.datetime.fromtimestamp(now, self.zone).strftime("%z")
        return f"{self.name} (UTC{offset[:3]}:{offset[3:]})"

    def format(self, epoch: float, with_date: bool = True) -> str:
        if not epoch:
            return "—"
        moment = dt.datetime.fromtimestamp(epoch, self.zone)
        return moment.strftime("%Y-%m-%d %H:%M:%S %Z" if with_date else "%H:%M:%S %Z")

    def end_of_day(self, day: dt.date) -> float:
        """The last second of ``day`` in the hub's zone (a deadline "by 12-20" is by its end)."""
        return dt.datetime.combine(day, dt.time(23, 59, 59), self.zone).timestamp()

    def day(self, epoch: float) -> dt.date:
        return dt.datetime.fromtimestamp(epoch, self.zone).date()

    def iso(self, epoch: float) -> str:
        return dt.datetime.fromtimestamp(epoch, self.zone).isoformat(timespec="seconds") if epoch else ""
