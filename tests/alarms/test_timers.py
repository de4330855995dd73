"""Escalation, auto-acknowledgement and shelving expiry, computed from journaled times."""
from __future__ import annotations

from hub.alarms import Acknowledge, Alarm, AlarmClass, Escalate, EscalationStep, ExpireShelving, Raise, Shelve, apply
from hub.alarms._timers import due

LADDER = AlarmClass(name="panic", priority=1, escalation=(EscalationStep(60, "county"), EscalationStep(180, "city")))
LOW = AlarmClass(name="offline", priority=4, auto_acknowledge=3600)


def raised(at=100.0, **fields) -> Alarm:
    return apply(Alarm(id="d/t", device="d", type="t", **fields), Raise(), at, "device:d").alarm


def test_the_ladder_is_climbed_as_time_passes():
    alarm = raised()
    assert due(alarm, LADDER, 159) is None
    assert due(alarm, LADDER, 160) == Escalate(1)
    alarm = apply(alarm, Escalate(1), 160, "hub").alarm
    assert due(alarm, LADDER, 279) is None
    assert due(alarm, LADDER, 280) == Escalate(2)


def test_after_downtime_it_goes_straight_to_the_highest_step_due():
    assert due(raised(), LADDER, 10_000) == Escalate(2)


def test_an_acknowledged_or_shelved_alarm_is_not_escalated():
    alarm = raised()
    assert due(apply(alarm, Acknowledge(1), 110, "op").alarm, LADDER, 10_000) is None
    shelved = apply(alarm, Shelve(600, maximum=3600), 110, "op").alarm
    assert due(shelved, LADDER, 200) is None
    assert due(shelved, LADDER, 710) == ExpireShelving()


def test_low_priorities_are_acknowledged_by_the_hub():
    alarm = raised()
    assert due(alarm, LOW, 3699) is None
    command = due(alarm, LOW, 3700)
    assert isinstance(command, Acknowledge) and command.expected_revision == alarm.revision
    assert apply(alarm, command, 3700, "hub").alarm.acknowledged


def test_an_alarm_whose_class_is_gone_is_left_alone():
    assert due(raised(), None, 10_000) is None


def test_a_pending_condition_is_activated_when_its_on_delay_has_passed():
    delayed = AlarmClass(name="offline", priority=4, on_delay=30)
    pending = apply(Alarm(id="d/t", device="d", type="t"), Raise(on_delay=30), 100, "device:d").alarm
    assert due(pending, delayed, 129) is None
    command = due(pending, delayed, 130)
    assert command == Raise(on_delay=30)
    assert apply(pending, command, 130, "hub").alarm.active
