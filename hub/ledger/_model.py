"""A hazard ledger entry (隐患) and the moves it may make (pure: no I/O, no clock).

States 登记 (registered) → 整改中 (rectifying) → 待验收 (awaiting acceptance) → 销号 (closed); an
entry awaiting acceptance that fails it goes back to 整改中. An automatic entry (from a
persisting fault) moves to 待验收 by itself when the fault clears, and is closed only by a person.
:func:`apply` returns :class:`Changed` (the entry after the command, revision + 1) or
:class:`Refused` (nothing changed, with the reason and, for a move, the moves allowed).
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

GRADES = {"general": "一般", "major": "重大"}
STATES = {"registered": "登记", "rectifying": "整改中", "awaiting_acceptance": "待验收", "closed": "销号"}
MOVES = {
    "registered": ("rectifying", "awaiting_acceptance"),
    "rectifying": ("awaiting_acceptance",),
    "awaiting_acceptance": ("closed", "rectifying"),
    "closed": (),
}
#: The actor of the hub's own changes (automatic entries, overdue marks).
HUB_ACTOR = "hub"


@dataclasses.dataclass(frozen=True)
class Hazard:
    id: str
    grade: str
    category: str
    region: str
    school: str
    description: str
    location: str = ""
    #: "inspection", "report", or "auto:<cause>".
    source: str = "inspection"
    responsible: str = ""
    deadline: float = 0.0
    # 五落实 (for 重大): measures, funds, people, deadline, contingency.
    plan_measures: str = ""
    plan_funds: str = ""
    plan_people: str = ""
    plan_deadline: float = 0.0
    plan_contingency: str = ""
    state: str = "registered"
    supervised: bool = False
    supervised_by: str = ""
    overdue: bool = False
    device: str = ""
    #: For an automatic entry: the fault (camera_offline, fire.fault ...) and whether it cleared.
    cause: str = ""
    fault_cleared: bool = False
    #: Photos as "sha256:mime:size", comma-separated.
    photos: str = ""
    registered_at: float = 0.0
    closed_at: float = 0.0
    changed_at: float = 0.0
    last_actor: str = ""
    last_comment: str = ""
    revision: int = 0

    @property
    def closed(self) -> bool:
        return self.state == "closed"

    @property
    def automatic(self) -> bool:
        return self.source.startswith("auto:")

    def past_deadline(self, now: float) -> bool:
        return not self.closed and bool(self.deadline) and now > self.deadline


class Changed(NamedTuple):
    hazard: Hazard
    kind: str


class Refused(NamedTuple):
    code: str
    reason: str


@dataclasses.dataclass(frozen=True)
class Move:
    to: str
    comment: str = ""
    expected_revision: int = 0


@dataclasses.dataclass(frozen=True)
class Comment:
    text: str


@dataclasses.dataclass(frozen=True)
class AddPhoto:
    ref: str
    comment: str = ""


@dataclasses.dataclass(frozen=True)
class Supervise:
    on: bool
    by: str
    comment: str = ""


@dataclasses.dataclass(frozen=True)
class MarkOverdue:
    pass


@dataclasses.dataclass(frozen=True)
class FaultCleared:
    pass


Command = Move | Comment | AddPhoto | Supervise | MarkOverdue | FaultCleared


def allowed_moves(hazard: Hazard) -> tuple[str, ...]:
    return MOVES[hazard.state]


def apply(hazard: Hazard, command: Command, now: float, actor: str) -> Changed | Refused:
    changes: dict
    if isinstance(command, Move):
        if command.expected_revision and command.expected_revision != hazard.revision:
            return Refused("stale_revision", f"the entry is at revision {hazard.revision}, not "
                           f"{command.expected_revision}: it changed since you saw it; look again")
        if command.to not in STATES:
            return Refused("invalid_argument", f"unknown state {command.to!r}; expected one of {', '.join(STATES)}")
        allowed = allowed_moves(hazard)
        if command.to not in allowed:
            names = ", ".join(f"{to} ({STATES[to]})" for to in allowed) or "none: it is closed (销号)"
            return Refused("illegal_move", f"an entry in {hazard.state} ({STATES[hazard.state]}) cannot move to "
                           f"{command.to} ({STATES[command.to]}); allowed moves: {names}")
        if command.to == "closed" and actor == HUB_ACTOR:
            return Refused("illegal_move", "only a person closes an entry (销号)")
        changes = {"state": command.to, "last_comment": command.comment}
        if command.to == "closed":
            changes["closed_at"] = now
        kind = {"rectifying": "rectifying", "awaiting_acceptance": "submitted", "closed": "closed"}[command.to]
        if hazard.state == "awaiting_acceptance" and command.to == "rectifying":
            kind = "rejected"
    elif isinstance(command, Comment):
        if not command.text.strip():
            return Refused("invalid_argument", "a comment needs text")
        kind, changes = "commented", {"last_comment": command.text}
    elif isinstance(command, AddPhoto):
        if hazard.closed:
            return Refused("illegal_move", "the entry is closed (销号); photos can no longer be added")
        photos = f"{hazard.photos},{command.ref}" if hazard.photos else command.ref
        kind, changes = "photo_added", {"photos": photos, "last_comment": command.comment}
    elif isinstance(command, Supervise):
        if hazard.closed:
            return Refused("illegal_move", "the entry is closed (销号)")
        if hazard.supervised == command.on:
            return Refused("no_change", "the entry is already " + ("supervised" if command.on else "not supervised"))
        kind = "supervised" if command.on else "supervision_lifted"
        changes = {"supervised": command.on, "supervised_by": command.by if command.on else "",
                   "last_comment": command.comment}
    elif isinstance(command, MarkOverdue):
        if hazard.overdue or not hazard.past_deadline(now):
            return Refused("no_change", "not overdue")
        kind, changes = "overdue", {"overdue": True}
    elif isinstance(command, FaultCleared):
        if hazard.fault_cleared or hazard.closed:
            return Refused("no_change", "the fault had cleared")
        changes = {"fault_cleared": True, "last_comment": "the fault cleared"}
        kind = "fault_cleared"
        if hazard.state in ("registered", "rectifying"):
            changes["state"] = "awaiting_acceptance"
    else:  # pragma: no cover - the union is closed
        raise TypeError(command)
    after = dataclasses.replace(hazard, **changes, revision=hazard.revision + 1, changed_at=now, last_actor=actor)
    return Changed(after, kind)
