"""Alarm KPIs (ISA-18.2 / EEMUA 191 performance figures), kept by the alarm projection from the
changes it applies, so they are rebuilt with the table from the journal.

- activations: alarms raised or reactivated in a period, and per hour;
- floods: 10-minute spells with more than 10 activations (ISA-18.2's alarm flood), counted as
  episodes: a flood lasts while any 10 minutes hold more than 10;
- standing: active alarms raised more than 24 h ago;
- chattering: alarms activated 3 or more times within 60 s (ISA-18.2's chattering alarm);
- time to acknowledge: p50 / p95 of (acknowledged - raised) over people's acknowledgements (the
  hub's auto-acknowledgements are left out);
- unacknowledged by priority, now.

Every figure is per scope: ``report(place, ...)`` counts only what ``place(region, school,
device)`` admits. What is older than ``KEEP`` is forgotten.
"""
from __future__ import annotations

import bisect
import collections
import dataclasses
import math
from collections.abc import Callable, Iterable

from hub.alarms._state import Alarm

KEEP = 7 * 24 * 3600.0
FLOOD_WINDOW, FLOOD_COUNT = 600.0, 10
STANDING_AFTER = 24 * 3600.0
CHATTER_WINDOW, CHATTER_COUNT = 60.0, 3
#: At most this many activations and acknowledgements are kept (a bound on memory in a storm).
MAX_KEPT = 1_000_000

Place = Callable[[str, str, str], bool]


@dataclasses.dataclass(frozen=True)
class AlarmKpis:
    period: float
    activations: int
    activations_per_hour: float
    floods: int
    in_flood: bool
    standing: int
    chattering: int
    acknowledgements: int
    ack_p50: float | None
    ack_p95: float | None
    unacknowledged_by_priority: dict[int, int]


def _percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    return values[max(0, math.ceil(fraction * len(values)) - 1)]


class KpiTracker:
    def __init__(self) -> None:
        self._activations: collections.deque = collections.deque(maxlen=MAX_KEPT)
        self._acknowledgements: collections.deque = collections.deque(maxlen=MAX_KEPT)

    def observe(self, before: Alarm | None, after: Alarm, kind: str) -> None:
        """A change applied to the table (``before``: the alarm as it was, None if new)."""
        where = (after.id, after.region, after.school, after.device)
        if kind in ("raised", "reactivated") and after.active and (before is None or not before.active
                                                                    or kind == "reactivated"):
            self._activations.append((after.changed_at, *where))
        if (kind == "acknowledged" and after.last_actor != "hub" and after.acknowledged_at
                and after.raised_at and (before is None or not before.acknowledged)):
            self._acknowledgements.append((after.acknowledged_at, *where, after.acknowledged_at - after.raised_at))

    def _forget(self, now: float) -> None:
        for kept in (self._activations, self._acknowledgements):
            while kept and kept[0][0] < now - KEEP:
                kept.popleft()

    def report(self, table: Iterable[Alarm], place: Place, now: float, period: float = 24 * 3600.0) -> AlarmKpis:
        self._forget(now)
        since = now - period
        times = [seen[0] for seen in self._activations if seen[0] >= since and place(seen[2], seen[3], seen[4])]
        times.sort()
        floods, in_flood, flooding = 0, False, False
        for index, at in enumerate(times):
            first = bisect.bisect_left(times, at - FLOOD_WINDOW, 0, index)
            over = index - first + 1 > FLOOD_COUNT
            if over and not flooding:
                floods += 1
            flooding = over
        if times:
            in_flood = len(times) - bisect.bisect_left(times, now - FLOOD_WINDOW) > FLOOD_COUNT
        by_alarm: dict[str, list[float]] = collections.defaultdict(list)
        for seen in self._activations:
            if seen[0] >= since and place(seen[2], seen[3], seen[4]):
                by_alarm[seen[1]].append(seen[0])
        chattering = sum(1 for activations in by_alarm.values() if _chatters(sorted(activations)))
        waits = sorted(ack[5] for ack in self._acknowledgements if ack[0] >= since and place(ack[2], ack[3], ack[4]))
        standing, unacknowledged = 0, {priority: 0 for priority in (1, 2, 3, 4)}
        for alarm in table:
            if not place(alarm.region, alarm.school, alarm.device):
                continue
            if alarm.active and alarm.raised_at and now - alarm.raised_at > STANDING_AFTER:
                standing += 1
            if not alarm.acknowledged and not alarm.closed:
                unacknowledged[alarm.priority] = unacknowledged.get(alarm.priority, 0) + 1
        return AlarmKpis(period=period, activations=len(times), activations_per_hour=len(times) * 3600.0 / period,
                         floods=floods, in_flood=in_flood, standing=standing, chattering=chattering,
                         acknowledgements=len(waits), ack_p50=_percentile(waits, 0.5), ack_p95=_percentile(waits, 0.95),
                         unacknowledged_by_priority=unacknowledged)


def _chatters(times: list[float]) -> bool:
    return any(times[index + CHATTER_COUNT - 1] - times[index] <= CHATTER_WINDOW
               for index in range(len(times) - CHATTER_COUNT + 1))


class KpiCollector:
    """The hub-wide KPIs as Prometheus gauges, computed when scraped."""

    def __init__(self, tracker_of: Callable[[], KpiTracker], table_of: Callable[[], Iterable[Alarm]],
                 clock: Callable[[], float]) -> None:
        self.tracker_of, self.table_of, self.clock = tracker_of, table_of, clock

    def describe(self):
        return []  # computed at collection; nothing to check at registration

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        kpis = self.tracker_of().report(list(self.table_of()), lambda region, school, device: True, self.clock())
        gauges = (
            ("campushub_alarm_activations_per_hour", "Alarms raised or reactivated per hour (last 24 h)",
             kpis.activations_per_hour),
            ("campushub_alarm_floods", "Alarm floods (more than 10 in 10 minutes) in the last 24 h", kpis.floods),
            ("campushub_alarm_in_flood", "1 while more than 10 alarms came in the last 10 minutes", int(kpis.in_flood)),
            ("campushub_alarm_standing", "Active alarms raised more than 24 h ago", kpis.standing),
            ("campushub_alarm_chattering", "Alarms activated 3 or more times within 60 s (last 24 h)",
             kpis.chattering),
        )
        for name, text, value in gauges:
            yield GaugeMetricFamily(name, text, value=value)
        waits = GaugeMetricFamily("campushub_alarm_time_to_acknowledge_seconds",
                                  "Time from raise to a person's acknowledgement (last 24 h)", labels=["quantile"])
        for quantile, value in (("0.5", kpis.ack_p50), ("0.95", kpis.ack_p95)):
            if value is not None:
                waits.add_metric([quantile], value)
        yield waits
        unacknowledged = GaugeMetricFamily("campushub_alarm_unacknowledged", "Unacknowledged alarms by priority",
                                           labels=["priority"])
        for priority, count in sorted(kpis.unacknowledged_by_priority.items()):
            unacknowledged.add_metric([str(priority)], count)
        yield unacknowledged
