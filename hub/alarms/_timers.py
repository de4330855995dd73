"""What time alone does to an alarm: a condition that outlasted its on-delay becomes active,
shelving runs out, an alarm nobody acknowledged is escalated up its class's ladder or, on
priorities 3-4, acknowledged by the hub. Pure: computed from the
alarm's journaled times and ``now``, so a restart (kill -9 included) loses no timer: what fell
due while the hub was down is done at the first tick after it starts."""
from __future__ import annotations

from hub.alarms._classes import AlarmClass
from hub.alarms._machine import Acknowledge, Command, Escalate, ExpireShelving, Raise
from hub.alarms._state import Alarm, Shelving


def due(alarm: Alarm, alarm_class: AlarmClass | None, now: float) -> Command | None:
    """The command time makes due on ``alarm`` at ``now``, or None."""
    if alarm.pending_since and alarm_class is not None and now - alarm.pending_since >= alarm_class.on_delay:
        return Raise(reactivation=alarm_class.reactivation, on_delay=alarm_class.on_delay)
    if alarm.shelving is not Shelving.UNSHELVED:
        return ExpireShelving() if now >= alarm.shelved_until else None
    if alarm.acknowledged or alarm.out_of_service or alarm.suppressed or alarm_class is None:
        return None
    waited = now - alarm.raised_at
    for step in reversed(alarm_class.escalation):  # the highest step due (after downtime: straight to it)
        if waited >= step.after:
            if step.level > alarm.escalation_level:
                return Escalate(step.level)
            break
    if alarm_class.auto_acknowledge is not None and waited >= alarm_class.auto_acknowledge:
        return Acknowledge(alarm.revision, f"acknowledged by the hub after {alarm_class.auto_acknowledge:g} s")
    return None
