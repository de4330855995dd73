"""The alarm state machine: pure and table-driven (no clock, no I/O; time is an argument).

``apply(alarm, command, now)`` returns a :class:`Changed` (the alarm after, with its revision one
higher) or a :class:`Refused` (why; the alarm is untouched). Each command's row in ``RULES`` lists
its guards (checked in order, the first that fails refuses) and its effect (the fields it sets).
A command whose effect changes nothing is refused as ``no_change``, so the revision counts real
changes only.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import NamedTuple

from hub.alarms._state import Alarm, Disposition, Shelving

MAX_TEXT = 4096
MAX_ASSIGNEE = 128
MAX_ESCALATION_LEVEL = 3  # county, city, province above a school


# --- commands --------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Raise:
    """The device reports the condition. ``momentary``: a point event (a panic press) whose
    condition ends at once. A re-raise within ``reactivation`` seconds of clearing continues the
    same occurrence. With an ``on_delay``, the condition must persist that long first: the first
    raise only marks it pending, a raise after the delay (the timers give one) activates."""

    momentary: bool = False
    reactivation: float = 0.0
    on_delay: float = 0.0


@dataclasses.dataclass(frozen=True)
class Clear:
    """The device reports the condition has ended."""


@dataclasses.dataclass(frozen=True)
class Acknowledge:
    """An operator acknowledges the alarm as they saw it at ``expected_revision``. ``force`` (a
    supervisor's): acknowledge whatever revision it is at now."""

    expected_revision: int
    comment: str = ""
    force: bool = False


@dataclasses.dataclass(frozen=True)
class Assign:
    assignee: str


@dataclasses.dataclass(frozen=True)
class Comment:
    text: str


@dataclasses.dataclass(frozen=True)
class Shelve:
    """Shelve for ``duration`` seconds (at most ``maximum``). One-shot shelving also ends when the
    alarm goes inactive."""

    duration: float
    maximum: float
    one_shot: bool = False


@dataclasses.dataclass(frozen=True)
class Unshelve:
    pass


@dataclasses.dataclass(frozen=True)
class ExpireShelving:
    """Time has passed: shelving whose time is up ends."""


@dataclasses.dataclass(frozen=True)
class SetOutOfService:
    out_of_service: bool


@dataclasses.dataclass(frozen=True)
class Close:
    """Close with a disposition. Without ``force`` only an inactive, acknowledged alarm; with it
    (a supervisor's) any alarm: it is acknowledged and made inactive too (a device still reporting
    the condition raises a new occurrence with its next event)."""

    disposition: Disposition
    force: bool = False


@dataclasses.dataclass(frozen=True)
class Escalate:
    """Hand the alarm to the duty desk ``level`` steps above its school (1 county, 2 city, 3 province)."""

    level: int


Command = (Raise | Clear | Acknowledge | Assign | Comment | Shelve | Unshelve | ExpireShelving | SetOutOfService
           | Close | Escalate)


# --- results ---------------------------------------------------------------------------------
class Changed(NamedTuple):
    alarm: Alarm
    #: What happened, the name of the journaled event: raised, reactivated, cleared, acknowledged ...
    kind: str


class Refused(NamedTuple):
    #: stale_revision, already_acknowledged, invalid_argument, not_allowed, no_change
    code: str
    reason: str


Guard = Callable[[Alarm, object, float], "Refused | None"]
Effect = Callable[[Alarm, object, float], tuple[str, dict]]


class Rule(NamedTuple):
    guards: tuple[Guard, ...]
    effect: Effect
    #: Recorded even when no field but the comment changes (every comment is kept).
    always_records: bool = False


def apply(alarm: Alarm, command: Command, now: float, actor: str) -> Changed | Refused:
    """The result of ``command`` given by ``actor`` at ``now`` on ``alarm``."""
    rule = RULES[type(command)]
    for guard in rule.guards:
        refused = guard(alarm, command, now)
        if refused is not None:
            return refused
    kind, changes = rule.effect(alarm, command, now)
    after = dataclasses.replace(alarm, **changes)
    if after == alarm and not rule.always_records:
        return Refused("no_change", f"{kind}: the alarm is already so")
    return Changed(dataclasses.replace(after, revision=alarm.revision + 1, changed_at=now, last_actor=actor), kind)


# --- effects ---------------------------------------------------------------------------------
def _returned(alarm: Alarm, now: float) -> dict:
    """The alarm goes inactive: one-shot shelving ends with it."""
    changes = {"active": False, "latched": False, "cleared_at": now}
    if alarm.shelving is Shelving.ONE_SHOT:
        changes.update(shelving=Shelving.UNSHELVED, shelved_until=0.0)
    return changes


def _raise(alarm: Alarm, command: Raise, now: float) -> tuple[str, dict]:
    if alarm.active:
        if alarm.condition or command.momentary:
            return "raised", {}  # still active; a repeated press of a latched alarm adds nothing
        return "raised", {"condition": True, "latched": False}  # held by the latch, and back
    if command.on_delay > 0 and not command.momentary:
        if not alarm.pending_since:
            return "pending", {"condition": True, "pending_since": now}
        if now - alarm.pending_since < command.on_delay:
            return "raised", {}  # still waiting
    reactivated = (alarm.occurrence > 0 and not alarm.closed and command.reactivation > 0
                   and now - alarm.cleared_at < command.reactivation)
    if reactivated:
        kind, changes = "reactivated", {"reactivations": alarm.reactivations + 1}
    else:
        kind, changes = "raised", {
            "occurrence": alarm.occurrence + 1, "reactivations": 0, "acknowledged": False, "acknowledged_at": 0.0,
            "assignee": "", "escalation_level": 0, "closed": False, "disposition": None, "raised_at": now}
    changes.update(active=True, condition=not command.momentary, latched=False, pending_since=0.0)
    if command.momentary:
        if alarm.latching:
            changes["latched"] = True  # held active until acknowledged
        else:
            changes.update(active=False, cleared_at=now)
    return kind, changes


def _clear(alarm: Alarm, command: Clear, now: float) -> tuple[str, dict]:
    if not alarm.condition:
        return "cleared", {}
    if not alarm.active:  # it ended within its on-delay: never an alarm
        return "cleared", {"condition": False, "pending_since": 0.0}
    if alarm.latching and not alarm.acknowledged:
        return "cleared", {"condition": False, "latched": True}
    return "cleared", {"condition": False, **_returned(alarm, now)}


def _acknowledge(alarm: Alarm, command: Acknowledge, now: float) -> tuple[str, dict]:
    changes = {"acknowledged": True, "acknowledged_at": now, "last_comment": command.comment}
    if alarm.latched:
        changes.update(_returned(alarm, now))  # the latch held it for this acknowledgement
    return "acknowledged", changes


def _shelve(alarm: Alarm, command: Shelve, now: float) -> tuple[str, dict]:
    shelving = Shelving.ONE_SHOT if command.one_shot else Shelving.TIMED
    return "shelved", {"shelving": shelving, "shelved_until": now + command.duration}


def _unshelved(alarm: Alarm, command, now: float) -> tuple[str, dict]:
    return "unshelved", {"shelving": Shelving.UNSHELVED, "shelved_until": 0.0}


def _out_of_service(alarm: Alarm, command: SetOutOfService, now: float) -> tuple[str, dict]:
    return ("out_of_service" if command.out_of_service else "in_service"), {"out_of_service": command.out_of_service}


def _close(alarm: Alarm, command: Close, now: float) -> tuple[str, dict]:
    changes = {"closed": True, "disposition": command.disposition}
    if not alarm.acknowledged:
        changes.update(acknowledged=True, acknowledged_at=now)
    if alarm.active:
        changes.update(_returned(alarm, now))
    return "closed", changes


# --- guards ----------------------------------------------------------------------------------
def _current_revision(alarm: Alarm, command: Acknowledge, now: float) -> Refused | None:
    if command.expected_revision != alarm.revision and not command.force:
        return Refused("stale_revision", f"the alarm is at revision {alarm.revision}, you saw revision "
                                         f"{command.expected_revision}: look at it again before acknowledging")
    return None


def _unacknowledged(alarm: Alarm, command, now: float) -> Refused | None:
    return Refused("already_acknowledged", "the alarm is already acknowledged") if alarm.acknowledged else None


def _text(field: str, limit: int, required: bool) -> Guard:
    def check(alarm: Alarm, command, now: float) -> Refused | None:
        value = getattr(command, field)
        if required and not value.strip():
            return Refused("invalid_argument", f"{field} is empty")
        if len(value) > limit:
            return Refused("invalid_argument", f"{field} has {len(value)} characters; at most {limit}")
        return None
    return check


def _shelving_allowed(alarm: Alarm, command: Shelve, now: float) -> Refused | None:
    if not 0 < command.duration <= command.maximum:
        return Refused("invalid_argument", f"shelving lasts more than 0 and at most {command.maximum:g} s "
                                           f"(the class's maximum), asked {command.duration:g} s")
    if command.one_shot and not alarm.active:
        return Refused("not_allowed", "one-shot shelving lasts while the alarm is active, and it is not")
    return None


def _shelved(alarm: Alarm, command, now: float) -> Refused | None:
    return None if alarm.shelving is not Shelving.UNSHELVED else Refused("not_allowed", "the alarm is not shelved")


def _shelving_due(alarm: Alarm, command, now: float) -> Refused | None:
    return None if now >= alarm.shelved_until else Refused("no_change", "shelving has time left")


def _closable(alarm: Alarm, command: Close, now: float) -> Refused | None:
    if (alarm.active or not alarm.acknowledged) and not command.force:
        return Refused("not_allowed", "only an inactive, acknowledged alarm can be closed")
    if alarm.closed:
        return Refused("no_change", "the alarm is already closed")
    return None


def _higher_level(alarm: Alarm, command: Escalate, now: float) -> Refused | None:
    if not alarm.escalation_level < command.level <= MAX_ESCALATION_LEVEL:
        return Refused("invalid_argument", f"escalation goes up: from level {alarm.escalation_level} to at most "
                                           f"{MAX_ESCALATION_LEVEL}, asked {command.level}")
    return None


def _has_occurred(alarm: Alarm, command, now: float) -> Refused | None:
    return None if alarm.occurrence else Refused("not_allowed", "the alarm has never been active")


RULES: dict[type, Rule] = {
    Raise: Rule((), _raise),
    Clear: Rule((), _clear),
    Acknowledge: Rule((_current_revision, _unacknowledged, _text("comment", MAX_TEXT, False)), _acknowledge),
    Assign: Rule((_has_occurred, _text("assignee", MAX_ASSIGNEE, True)),
                 lambda a, c, now: ("assigned", {"assignee": c.assignee})),
    Comment: Rule((_has_occurred, _text("text", MAX_TEXT, True)),
                  lambda a, c, now: ("commented", {"last_comment": c.text}), always_records=True),
    Shelve: Rule((_has_occurred, _shelving_allowed), _shelve),
    Unshelve: Rule((_shelved,), _unshelved),
    ExpireShelving: Rule((_shelved, _shelving_due), _unshelved),
    SetOutOfService: Rule((), _out_of_service),
    Close: Rule((_closable,), _close),
    Escalate: Rule((_has_occurred, _higher_level), lambda a, c, now: ("escalated", {"escalation_level": c.level})),
}
