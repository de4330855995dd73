"""An alarm change as a journaled event, and back.

Every change is an event of category ALARM, type ``alarm.<kind>`` (alarm.raised,
alarm.acknowledged ...), from the alarm's device, whose attributes hold the whole alarm after the
change (``alarm_id``, ``revision``, ``actor``, ``state``, every flag), so the alarm table is
rebuilt from these events alone, and a subscriber reads an alarm from one event.
"""
from __future__ import annotations

import dataclasses

from hub.alarms._state import Alarm, Disposition, Shelving
from hub.events import Category, Event, Severity, State, category_name, new_event, parse_category
from hub.projection import attribute_text, attribute_value

#: Priority 1..4 -> the event's severity.
PRIORITY_SEVERITY = {1: Severity.SEVERITY_CRITICAL, 2: Severity.SEVERITY_MAJOR, 3: Severity.SEVERITY_WARNING,
                     4: Severity.SEVERITY_INFO}
ALARM_CATEGORY = Category.CATEGORY_ALARM
TYPE_PREFIX = "alarm."

_FIELDS = {field.name: field.type for field in dataclasses.fields(Alarm)}
#: Alarm fields whose attribute is named differently (the brief names of the event).
_RENAMED = {"id": "alarm_id", "last_actor": "actor", "category": "source_category"}
_ENUMS = {"Shelving": Shelving, "Disposition": Disposition}


def change_event(alarm: Alarm, kind: str, source_sequence: int = 0, peer: str = "") -> Event:
    """The event journaling ``alarm`` as it is after a change of ``kind``. ``source_sequence``:
    the journaled device event that caused it (0 for an operator's command); ``peer``: where a
    command came from."""
    attributes = {_RENAMED.get(name, name): attribute_text(getattr(alarm, name)) for name in _FIELDS}
    attributes["source_category"] = category_name(alarm.category)
    attributes["state"] = alarm.state.value
    attributes["change"] = kind
    if source_sequence:
        attributes["source_sequence"] = str(source_sequence)
    if peer:
        attributes["peer"] = peer[:200]
    event = new_event(device_id=alarm.device, type=TYPE_PREFIX + kind, category=ALARM_CATEGORY,
                      severity=PRIORITY_SEVERITY.get(alarm.priority, Severity.SEVERITY_INFO),
                      state=State.STATE_MOMENTARY, occurred_at=alarm.changed_at or None, attributes=attributes)
    event.site.region_code, event.site.school_id, event.site.zone = alarm.region, alarm.school, alarm.zone
    event.site.building = alarm.building
    return event


def alarm_of(event: Event) -> tuple[Alarm, str, int]:
    """(the alarm after the change, the change's kind, its source sequence) of a change event."""
    attributes = event.attributes
    # A field the event does not name (journaled before the field existed) takes its default.
    values = {name: attribute_value(annotation, attributes[_RENAMED.get(name, name)], _ENUMS)
              for name, annotation in _FIELDS.items() if name != "category" and _RENAMED.get(name, name) in attributes}
    category = attributes["source_category"]
    values["category"] = parse_category(category) if category != "unspecified" else 0
    return Alarm(**values), attributes["change"], int(attributes.get("source_sequence", "0"))
