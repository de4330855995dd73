"""The audit of commands: every alarm command a principal gives, accepted or refused, is a
journaled event of category AUDIT (type ``audit.alarm.<action>``) naming the principal, its role,
its network peer, the time, the alarm, what was asked and the outcome, so ``campus-hub audit``
(``AlarmService.ListAudit``) reads it back from the journal alone. A fire panel's command
(reset, silence, acknowledge; from an operator or a linkage rule) is audited in the same form,
``subject`` "panel" (type ``audit.panel.<command>``, the panel as its device; see
hub.linkage._audit).

A record carries the site of the alarm it concerns (so that jurisdiction's supervisors see who
touched its alarms); a record about an id that names no alarm has no site. Records are written by
the hub itself, straight to the journal (they have no device to enrich), and never fold.
"""
from __future__ import annotations

import dataclasses
import time

from hub.events import Category, Event, Severity, State, new_event, stamp_received
from hub.journal import Entry

AUDIT_CATEGORY = Category.CATEGORY_AUDIT
TYPE_PREFIX = "audit.alarm."
#: What a record is about: an alarm (AlarmService's commands) or a panel (DeviceCommandService, rules).
SUBJECTS = ("alarm", "panel")
ACCEPTED, REFUSED = "accepted", "refused"
#: Longest text of a record's fields (a 1 MB comment is recorded by its length, not kept).
MAX_FIELD = 256


@dataclasses.dataclass(frozen=True)
class AuditRecord:
    principal: str
    role: str
    peer: str
    action: str
    alarm_id: str
    outcome: str
    #: Empty when accepted; else why: role, not_found, stale_revision, invalid_argument ...
    code: str = ""
    reason: str = ""
    #: What was asked beyond the action ("expected_revision=3 force=false comment=12 chars").
    details: str = ""
    #: The alarm's revision after an accepted command.
    revision: int = 0
    at: float = 0.0
    region: str = ""
    school: str = ""
    device: str = ""
    #: The record's journal sequence (0 before it is journaled).
    sequence: int = 0
    #: One of SUBJECTS.
    subject: str = "alarm"


_TEXT_FIELDS = ("principal", "role", "peer", "action", "alarm_id", "outcome", "code", "reason", "details")


def audit_event(record: AuditRecord) -> Event:
    """The journaled form of ``record``, with its hub fields set (ready for Journal.append)."""
    attributes = {name: getattr(record, name)[:MAX_FIELD] for name in _TEXT_FIELDS}
    attributes["revision"] = str(record.revision)
    at = record.at or time.time()
    event = new_event(device_id=record.device, type=f"audit.{record.subject}.{record.action}", category=AUDIT_CATEGORY,
                      severity=Severity.SEVERITY_INFO if record.outcome == ACCEPTED else Severity.SEVERITY_WARNING,
                      state=State.STATE_MOMENTARY, occurred_at=at, attributes=attributes)
    event.site.region_code, event.site.school_id = record.region, record.school
    stamp_received(event, at)
    return event


def is_audit(entry: Entry) -> bool:
    return entry.category == AUDIT_CATEGORY


def audit_of(entry: Entry) -> AuditRecord:
    event = entry.event()
    attributes = event.attributes
    values = {name: attributes.get(name, "") for name in _TEXT_FIELDS}
    subject = entry.type.split(".")[1] if entry.type.count(".") >= 2 else "alarm"
    return AuditRecord(**values, revision=int(attributes.get("revision", "0") or 0), at=entry.received_at,
                       region=entry.region, school=entry.school, device=entry.device, sequence=entry.seq,
                       subject=subject)


class RateLimitedLog:
    """At most ``burst`` log lines per ``interval`` seconds for one kind of happening; the rest
    are counted and their number said with the next line let through (a flood of refused
    commands must not flood the log)."""

    def __init__(self, logger, interval: float = 10.0, burst: int = 5, clock=time.monotonic) -> None:
        self.logger, self.interval, self.burst, self.clock = logger, interval, burst, clock
        self._window_start = -interval
        self._in_window = 0
        self.suppressed = 0

    def warning(self, message: str, **fields) -> bool:
        now = self.clock()
        if now - self._window_start >= self.interval:
            self._window_start, self._in_window = now, 0
        if self._in_window >= self.burst:
            self.suppressed += 1
            return False
        self._in_window += 1
        if self.suppressed:
            fields["suppressed_since_last"] = self.suppressed
            self.suppressed = 0
        self.logger.warning(message, **fields)
        return True
