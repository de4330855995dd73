"""The journaled form of events: the pipeline appends encoded fields (the device's site, the
sequence) to a serialized event instead of setting them and serializing again. These properties
check that a protobuf parser reads exactly the event that setting the fields would have made."""
from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from campushub.v1.event_pb2 import EventBatch
from hub.journal import NewEntry, new_entry_for_event, sequenced, site_field
from hub.events import Event, Site, stamp_received
from hub.kernel import HubMetrics
from hub.kernel import Pipeline
from hub.kernel import DeviceRegistry
from hub.spi import DeviceSpec

text = st.text(max_size=12)
sites = st.builds(Site, region_code=text, school_id=text, building=text, floor=text, zone=text)
events = st.builds(
    Event,
    source_device_id=st.text(min_size=1, max_size=8),
    type=st.text(min_size=1, max_size=16),
    category=st.integers(0, 10),
    severity=st.integers(0, 4),
    state=st.integers(0, 3),
    attributes=st.dictionaries(text, text, max_size=3),
    repeat_count=st.integers(0, 2**32 - 1),
)


@given(events, st.none() | sites, st.integers(1, 2**40))
def test_a_sequenced_entry_is_the_event_with_its_sequence_and_appended_site(event, site, first_sequence):
    appended = site_field(site) if site is not None else b""
    pending = NewEntry(1.5, "r", "s", event.category, event.severity, event.type, event.source_device_id,
                       event.SerializeToString(), appended)
    [entry] = sequenced(first_sequence, [pending])
    expected = Event()
    expected.CopyFrom(event)
    if site is not None:
        expected.site.CopyFrom(site)
    expected.sequence = first_sequence
    assert entry.event() == expected
    assert entry.seq == first_sequence and entry[1:8] == pending[:7]
    # The frame is field 1 of EventBatch, so batches are concatenations of frames.
    assert list(EventBatch.FromString(entry.framed).events) == [expected]


class _Capture:
    """The journal's side of Pipeline.submit, keeping what it is given."""

    def __init__(self) -> None:
        self.entries: list[NewEntry] = []

    def append_entry(self, pending: NewEntry) -> None:
        self.entries.append(pending)


@given(events, st.none() | sites, sites, st.booleans(), st.booleans())
def test_the_pipeline_journals_what_setting_the_hub_fields_would_have(event, own_site, configured, known, occurred):
    if own_site is not None:
        event.site.CopyFrom(own_site)
    if occurred:
        event.occurred_at.seconds = 1_600_000_000
    original = Event()
    original.CopyFrom(event)
    device = event.source_device_id
    specs = [DeviceSpec(id=device, kind="camera", adapter="a1", site=configured)] if known else []
    capture = _Capture()
    Pipeline(DeviceRegistry(specs), capture, HubMetrics(), dedupe_window=0).submit(event, "a1")
    [journaled] = sequenced(7, capture.entries)
    got = journaled.event()

    expected = Event()
    expected.CopyFrom(original)
    expected.id = got.id
    stamp_received(expected, got.received_at.seconds + got.received_at.nanos / 1e9)
    expected.sequence = 7
    expected.adapter = "a1"
    if not known:
        expected.unknown_device = True
    else:
        # Region and school always come from the configuration; the finer place from the event if
        # it has one.
        mine = expected.site
        for field in ("building", "floor", "zone"):
            setattr(mine, field, getattr(mine, field) or getattr(configured, field))
        mine.region_code, mine.school_id = configured.region_code, configured.school_id
    assert got == expected
    assert uuid.UUID(got.id).version == 4
    assert journaled[1:8] == (capture.entries[0].received_at, got.site.region_code, got.site.school_id,
                              got.category, got.severity, got.type, got.source_device_id)


def test_an_event_read_back_from_a_row_is_what_was_appended():
    event = Event(source_device_id="d", type="fire.alarm", category=1)
    stamp_received(event, 1_700_000_000.5)
    [entry] = sequenced(3, [new_entry_for_event(event)])
    event.sequence = 3
    assert entry.event() == event and entry.received_at == 1_700_000_000.5
