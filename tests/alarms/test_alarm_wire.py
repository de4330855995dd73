"""WatchAlarms' hand-assembled wire bytes read back as the generated messages they stand for, and
an alarm is encoded again whenever what it shows changed."""
from __future__ import annotations

import dataclasses

from hypothesis import given, strategies as st

from campushub.v1 import alarm_service_pb2 as pb
from hub.alarms import Alarm, Raise, apply
from hub.api.grpc import _alarm_wire as wire
from hub.api.grpc._alarms import alarm_message, escalated_to
from hub.events import Category


def alarm(n: int = 1, **changes) -> Alarm:
    raised = apply(Alarm(id=f"pb-{n}/panic.alarm", device=f"pb-{n}", type="panic.alarm", region="140802",
                         school="sch-a", category=Category.CATEGORY_PANIC, class_name="panic", priority=1),
                   Raise(momentary=False), 1_700_000_000.25, f"device:pb-{n}").alarm
    return dataclasses.replace(raised, **changes)


revisions = st.integers(min_value=0, max_value=2**64 - 1)


@given(revisions)
def test_markers(revision):
    assert pb.WatchAlarmsResponse.FromString(wire.refresh_start(revision)) == pb.WatchAlarmsResponse(
        refresh_start=pb.RefreshStart(), table_revision=revision)
    assert pb.WatchAlarmsResponse.FromString(wire.refresh_end(revision)) == pb.WatchAlarmsResponse(
        refresh_end=pb.RefreshEnd(), table_revision=revision)


@given(revisions, st.text(max_size=40), st.text(max_size=300))
def test_one_alarm(revision, change, comment):
    message = alarm_message(alarm(last_comment=comment), "call 110")
    data = wire.alarm_response(message.SerializeToString(), revision, change)
    expected = pb.WatchAlarmsResponse(alarm=message, table_revision=revision, change=change)
    assert pb.WatchAlarmsResponse.FromString(data) == expected
    assert data == expected.SerializeToString()  # canonical, field for field


@given(st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=7), revisions)
def test_batches_hold_every_alarm_in_order_and_at_most_size(count, size, revision):
    messages = [alarm_message(alarm(n)) for n in range(count)]
    batches = [pb.WatchAlarmsResponse.FromString(data) for data in
               wire.batch_responses((m.SerializeToString() for m in messages), revision, size)]
    assert all(b.WhichOneof("kind") == "alarm_batch" and b.table_revision == revision for b in batches)
    assert all(1 <= len(b.alarm_batch.alarms) <= size for b in batches)
    assert [a for b in batches for a in b.alarm_batch.alarms] == messages
    assert len(batches) == -(-count // size)


def test_a_batch_is_cut_before_it_passes_the_byte_limit():
    big = alarm_message(alarm(last_comment="x" * 4000)).SerializeToString()
    batches = list(wire.batch_responses([big] * 1000, 7, 1000))
    assert len(batches) > 1 and all(len(data) <= wire.MAX_BATCH_BYTES + 16 for data in batches)
    assert sum(len(pb.WatchAlarmsResponse.FromString(d).alarm_batch.alarms) for d in batches) == 1000


def test_an_alarm_is_encoded_again_when_it_the_callers_view_or_the_extra_differs():
    built = []

    def build(a: Alarm, level: int) -> pb.Alarm:
        built.append((a.revision, level))
        return alarm_message(a, caller_level=level)

    encoded = wire.EncodedAlarms(build, escalated_to)
    first = alarm(escalation_level=1)
    data = encoded.get(first, 0, ("", 0))
    assert encoded.get(first, 0, ("", 0)) is data and encoded.get(dataclasses.replace(first), 0, ("", 0)) is data
    assert len(built) == 1  # the same alarm, an equal one decoded again: encoded once
    assert encoded.get(first, 2, ("", 0)) is data  # a city desk: not escalated to it either
    county = pb.Alarm.FromString(encoded.get(first, 1, ("", 0)))
    assert county.escalated_to_you and not pb.Alarm.FromString(data).escalated_to_you
    assert pb.Alarm.FromString(encoded.get(first, 0, ("", 1))) is not None  # media attached: again
    changed = dataclasses.replace(first, revision=first.revision + 1, last_comment="on it")
    assert pb.Alarm.FromString(encoded.get(changed, 0, ("", 1))).last_comment == "on it"
    assert built == [(1, 0), (1, 1), (1, 0), (2, 0)]

    encoded.forget_absent({})  # (only once it holds far more than the table)
    assert len(encoded) == 2
    for n in range(1100):
        encoded.get(alarm(n + 10), 0)
    encoded.forget_absent({changed.id: changed})
    assert len(encoded) == 2  # its view by the school's desk and by the county's
