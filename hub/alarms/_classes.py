"""Alarm classes: which device events are alarms, and how their alarms behave.

A class selects events by category, dotted type prefix and minimum severity; the first class in
configuration order that selects an event decides its alarm. ``hub.config`` builds these from
``alarms: classes:``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

#: Duty desks above a school, nearest first: escalation level 1 is the county.
LEVELS = ("county", "city", "province")


@dataclasses.dataclass(frozen=True)
class EscalationStep:
    #: Seconds after the alarm was raised, unacknowledged.
    after: float
    #: One of LEVELS.
    to: str

    @property
    def level(self) -> int:
        return LEVELS.index(self.to) + 1


@dataclasses.dataclass(frozen=True)
class AlarmClass:
    name: str
    priority: int
    categories: frozenset[int] = frozenset()
    type_prefixes: tuple[str, ...] = ()
    min_severity: int = 0
    latch: bool = False
    on_delay: float = 0.0
    reactivation: float = 0.0
    #: Seconds after which an unacknowledged alarm is acknowledged by the hub (priorities 3-4 only).
    auto_acknowledge: float | None = None
    #: Longest an operator may shelve an alarm of the class.
    max_shelve: float = 8 * 3600.0
    #: Longest a supervisor may shelve one (at least max_shelve).
    supervisor_max_shelve: float = 7 * 24 * 3600.0
    procedure: str = ""
    escalation: tuple[EscalationStep, ...] = ()

    def selects(self, category: int, severity: int, type_: str) -> bool:
        return ((not self.categories or category in self.categories) and severity >= self.min_severity
                and (not self.type_prefixes or type_.startswith(self.type_prefixes)))


def match_class(classes: Sequence[AlarmClass], category: int, severity: int, type_: str) -> AlarmClass | None:
    """The first class that selects an event, or None: the event is no alarm."""
    for alarm_class in classes:
        if alarm_class.selects(category, severity, type_):
            return alarm_class
    return None
