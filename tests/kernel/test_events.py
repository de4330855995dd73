"""Event construction helpers: ids, stamping, the enum namespaces adapters use."""
from __future__ import annotations

import subprocess
import sys
import uuid

from hub.events import Category, Event, Severity, State, category_name, new_event, new_event_id, stamp_received


def test_event_ids_are_version_4_uuids_and_never_repeat():
    ids = [new_event_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == ids[0]


def test_event_ids_differ_between_processes():
    code = "from hub.events import new_event_id; print(new_event_id())"
    first, second = (subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                     .stdout.strip() for _ in range(2))
    assert first != second


def test_enum_namespaces_are_the_protobuf_enums():
    assert Category.CATEGORY_FIRE == Event(category="CATEGORY_FIRE").category
    assert Category.Name(Category.CATEGORY_PANIC) == "CATEGORY_PANIC"
    assert Severity.Value("SEVERITY_CRITICAL") == Severity.SEVERITY_CRITICAL
    assert category_name(Category.CATEGORY_VIDEO) == "video"


def test_new_event_stringifies_attributes_and_stamping_fills_times_once():
    event = new_event(device_id="d", type="fire.alarm", category=Category.CATEGORY_FIRE,
                      severity=Severity.SEVERITY_CRITICAL, state=State.STATE_RAISED,
                      attributes={"zone": 5, "label": "hall"}, raw_protocol="modbus", raw_data=b"\x01")
    assert dict(event.attributes) == {"zone": "5", "label": "hall"}
    assert (event.raw.protocol, event.raw.data, event.raw.text) == ("modbus", b"\x01", "")
    stamp_received(event, 1_700_000_000.25)
    assert (event.received_at.seconds, event.received_at.nanos) == (1_700_000_000, 250_000_000)
    assert event.occurred_at == event.received_at
    first_id = event.id
    stamp_received(event, 1_700_000_001.0)
    assert event.id == first_id and event.occurred_at.seconds == 1_700_000_000
