"""A ledger change as a journaled event, and back: category LEDGER, type ``ledger.<kind>``
(ledger.registered, ledger.closed ...), from the entry's device (none for a manual entry), whose
attributes hold the whole entry after the change, so the ledger is rebuilt from these events alone.
The event's site is the entry's school; ``site.zone`` carries the entry id, so an alarm class
selecting ``ledger.overdue`` makes one alarm per overdue entry."""
from __future__ import annotations

import dataclasses

from hub.events import Category, Event, Severity, State, new_event
from hub.ledger._model import Hazard
from hub.projection import attribute_text, attribute_value

LEDGER_CATEGORY = Category.CATEGORY_LEDGER
TYPE_PREFIX = "ledger."
_FIELDS = {field.name: field.type for field in dataclasses.fields(Hazard)}


def is_ledger_change(entry) -> bool:
    return entry.category == LEDGER_CATEGORY and entry.type.startswith(TYPE_PREFIX)


def change_event(hazard: Hazard, kind: str, source_sequence: int = 0, peer: str = "") -> Event:
    attributes = {name: attribute_text(getattr(hazard, name)) for name in _FIELDS}
    attributes["change"] = kind
    if source_sequence:
        attributes["source_sequence"] = str(source_sequence)
    if peer:
        attributes["peer"] = peer[:200]
    severity = Severity.SEVERITY_INFO
    if kind == "overdue":
        severity = Severity.SEVERITY_CRITICAL if hazard.grade == "major" else Severity.SEVERITY_MAJOR
    event = new_event(device_id=hazard.device, type=TYPE_PREFIX + kind, category=LEDGER_CATEGORY, severity=severity,
                      state=State.STATE_MOMENTARY, occurred_at=hazard.changed_at or None, attributes=attributes)
    event.site.region_code, event.site.school_id, event.site.zone = hazard.region, hazard.school, hazard.id
    return event


def hazard_of(event: Event) -> tuple[Hazard, str, int]:
    """(the entry after the change, the change's kind, its source sequence)."""
    attributes = event.attributes
    values = {name: attribute_value(annotation, attributes[name])
              for name, annotation in _FIELDS.items() if name in attributes}
    return Hazard(**values), attributes["change"], int(attributes.get("source_sequence", "0"))
