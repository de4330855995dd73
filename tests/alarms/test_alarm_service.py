"""AlarmService over real gRPC on loopback with a real hub: listing in scope, paging, watching
(refresh then live changes, resumable), acknowledging with the revision seen, comments, and bad
input; and a real SIA DC-09 panic frame from the SIA simulator becoming a latched alarm."""
from __future__ import annotations

import asyncio

import grpc
import pytest

from adapters.sia.adapter import SiaAdapter
from adapters.sia.options import SiaDeviceOptions, SiaOptions
from campushub.v1 import alarm_service_pb2 as pb
from hub.api.grpc.client import HubClient, make_filter
from hub.events import Category, Severity, Site, State, new_event
from hub.kernel import AdapterInstance
from hub.spi import DeviceSpec
from simulators.sia import SiaTransmitter

from tests.kernel.conftest import ALL_TOKEN, DEVICES, EDU_TOKEN, POLICE_TOKEN, running_hub

from .conftest import alarm_settings

PANIC = "pb-1/panic.alarm/gate"
FAR = "far-1/panic.alarm"  # in region 110101: outside the police's and education's scopes


def panic(device="pb-1"):
    return new_event(device_id=device, type="panic.alarm", category=Category.CATEGORY_PANIC,
                     severity=Severity.SEVERITY_CRITICAL, state=State.STATE_MOMENTARY)


def fire(state=State.STATE_RAISED):
    return new_event(device_id="fp-1", type="fire.alarm", category=Category.CATEGORY_FIRE,
                     severity=Severity.SEVERITY_CRITICAL, state=state)


def client(hub, token=ALL_TOKEN) -> HubClient:
    return HubClient(f"127.0.0.1:{hub.grpc_port}", token)


async def settled(hub) -> None:
    """Until the alarm table has taken everything journaled so far."""
    await asyncio.wait_for(hub.alarms.wait_applied(hub.journal.head), 10)
    while hub.alarms.position < hub.journal.head:  # the changes it submitted meanwhile
        await asyncio.wait_for(hub.alarms.wait_applied(hub.journal.head), 10)


async def next_message(call) -> pb.WatchAlarmsResponse:
    return await asyncio.wait_for(call.read(), 10)


async def test_watch_refresh_then_live_changes_and_acknowledge_with_the_revision_seen(alarm_hub):
    await alarm_hub.submit(fire(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, POLICE_TOKEN) as police:
        watch = police.watch_alarms()
        start = await next_message(watch)
        assert start.WhichOneof("kind") == "refresh_start"
        fire_alarm = await next_message(watch)
        assert (fire_alarm.alarm.id, fire_alarm.alarm.state) == ("fp-1/fire.alarm", pb.ALARM_STATE_UNACKNOWLEDGED)
        end = await next_message(watch)
        assert end.WhichOneof("kind") == "refresh_end" and end.table_revision == start.table_revision

        await alarm_hub.submit(panic(), "synth")
        raised = await next_message(watch)
        assert (raised.change, raised.alarm.id, raised.alarm.state, raised.alarm.revision) == (
            "raised", PANIC, pb.ALARM_STATE_LATCHED_UNACKNOWLEDGED, 1)
        assert raised.alarm.procedure == "call the duty desk" and raised.alarm.site.school_id == "sch-b"
        assert raised.table_revision > end.table_revision

        with pytest.raises(grpc.aio.AioRpcError) as stale:
            await police.acknowledge_alarm(PANIC, 0)
        assert stale.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "revision 1" in stale.value.details()
        acked = await police.acknowledge_alarm(PANIC, 1, "guard on the way")
        assert (acked.state, acked.revision, acked.last_actor, acked.last_comment) == (
            pb.ALARM_STATE_NORMAL, 2, "subscriber:police-yanhu", "guard on the way")
        change = await next_message(watch)
        assert (change.change, change.alarm.revision) == ("acknowledged", 2)
        with pytest.raises(grpc.aio.AioRpcError) as twice:
            await police.acknowledge_alarm(PANIC, 2)
        assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        watch.cancel()

        # Resuming after a change sends only what followed it, without a refresh.
        resumed = police.watch_alarms(after_revision=raised.table_revision)
        again = await next_message(resumed)
        assert (again.change, again.alarm.revision, again.table_revision) == ("acknowledged", 2, change.table_revision)
        resumed.cancel()
    assert alarm_hub.metrics.alarm_commands_refused.labels("stale_revision")._value.get() == 1


async def refresh(call) -> tuple[list[pb.WatchAlarmsResponse], list[pb.Alarm]]:
    """The refresh's messages through refresh_end, and the alarms they brought."""
    messages, alarms = [], []
    while not messages or messages[-1].WhichOneof("kind") != "refresh_end":
        message = await next_message(call)
        messages.append(message)
        if message.WhichOneof("kind") == "alarm":
            alarms.append(message.alarm)
        elif message.WhichOneof("kind") == "alarm_batch":
            alarms += message.alarm_batch.alarms
    return messages, alarms


async def test_a_batched_refresh_brings_the_same_alarms_in_fewer_messages(alarm_hub):
    for event in (panic(), panic("far-1"), fire()):
        await alarm_hub.submit(event, "synth")
    await settled(alarm_hub)
    async with client(alarm_hub) as ops:
        single = ops.watch_alarms()  # a client that asks for no batches: one alarm per message
        one_each, alarms = await refresh(single)
        assert [m.WhichOneof("kind") for m in one_each] == ["refresh_start", "alarm", "alarm", "alarm", "refresh_end"]
        for size, kinds in ((1000, ["refresh_start", "alarm_batch", "refresh_end"]),
                            (2, ["refresh_start", "alarm_batch", "alarm_batch", "refresh_end"])):
            batched = ops.watch_alarms(refresh_batch_size=size)
            messages, batch_alarms = await refresh(batched)
            assert [m.WhichOneof("kind") for m in messages] == kinds
            assert batch_alarms == alarms and {m.table_revision for m in messages} == {one_each[0].table_revision}
            batched.cancel()

        # A live change after the refresh is one alarm, whatever the batch size; the next
        # refresh shows the alarm as it is now.
        batched = ops.watch_alarms(refresh_batch_size=1000)
        await refresh(batched)
        commented = await ops.add_comment(PANIC, "on it")
        change = await next_message(batched)
        assert (change.WhichOneof("kind"), change.change, change.alarm) == ("alarm", "commented", commented)
        assert (await next_message(single)).alarm == commented
        _, again = await refresh(ops.watch_alarms(refresh_batch_size=1000))
        assert [a for a in again if a.id == PANIC] == [commented]
        batched.cancel()
        single.cancel()


async def test_the_client_takes_a_batched_refresh_apart(alarm_hub):
    await alarm_hub.submit(fire(), "synth")
    await alarm_hub.submit(panic(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, POLICE_TOKEN) as police:
        seen = []
        async for kind, revision, change, alarm in police.alarm_changes(refresh_batch_size=1):
            seen.append((kind, change, alarm.id if alarm else None))
            if kind == "refresh_end":
                await police.acknowledge_alarm(PANIC, 1)
            if change:
                break
    assert seen[0] == ("refresh_start", "", None) and seen[3:] == [("refresh_end", "", None),
                                                                   ("alarm", "acknowledged", PANIC)]
    assert sorted(seen[1:3]) == [("alarm", "", "fp-1/fire.alarm"), ("alarm", "", PANIC)]


async def test_an_alarm_outside_the_callers_scope_is_not_found(alarm_hub):
    await alarm_hub.submit(panic("far-1"), "synth")
    await alarm_hub.submit(fire(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, POLICE_TOKEN) as police, client(alarm_hub) as ops:
        assert (await ops.get_alarm(FAR)).site.region_code == "110101"
        for call in (police.get_alarm(FAR), police.acknowledge_alarm(FAR, 1), police.add_comment(FAR, "hi"),
                     police.get_alarm("no/such.alarm")):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.NOT_FOUND and "in your scope" in err.value.details()
        assert [a.id for a in (await police.list_alarms()).alarms] == ["fp-1/fire.alarm"]
        assert alarm_hub.alarms.get(FAR).revision == 1  # refused: nothing changed
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await police.list_alarms(make_filter(regions=["11"]))
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_scope_categories_apply_to_the_alarms_device_events(alarm_hub):
    await alarm_hub.submit(panic(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, EDU_TOKEN) as education:  # fire, panic and device in 1408
        assert [a.id for a in (await education.list_alarms()).alarms] == [PANIC]


async def test_list_by_state_and_priority_in_pages(alarm_hub):
    await alarm_hub.submit(panic(), "synth")
    await alarm_hub.submit(panic("far-1"), "synth")
    await alarm_hub.submit(fire(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub) as ops:
        first = await ops.list_alarms(page_size=2)
        second = await ops.list_alarms(page_size=2, page_token=first.next_page_token)
        assert len(first.alarms) == 2 and len(second.alarms) == 1 and second.next_page_token == ""
        assert {a.id for a in [*first.alarms, *second.alarms]} == {PANIC, FAR, "fp-1/fire.alarm"}
        latched = await ops.list_alarms(states=[pb.ALARM_STATE_LATCHED_UNACKNOWLEDGED])
        assert {a.id for a in latched.alarms} == {PANIC, FAR}
        assert (await ops.list_alarms(priorities=[2])).alarms == []
        assert [a.id for a in (await ops.list_alarms(make_filter(devices=["fp-1"]))).alarms] == ["fp-1/fire.alarm"]
        await ops.acknowledge_alarm(PANIC, 1)
        normal = await ops.list_alarms(states=[pb.ALARM_STATE_NORMAL])
        assert [a.id for a in normal.alarms] == [PANIC]
        assert PANIC not in {a.id for a in (await ops.list_alarms()).alarms}  # not retained any more


@pytest.mark.parametrize("call, code", [
    (lambda c: c.list_alarms(page_size=5000), grpc.StatusCode.INVALID_ARGUMENT),
    (lambda c: c.list_alarms(page_token="x"), grpc.StatusCode.INVALID_ARGUMENT),
    (lambda c: c.list_alarms(page_token="\u00b9"), grpc.StatusCode.INVALID_ARGUMENT),  # isdigit, not int
    (lambda c: c.list_alarms(priorities=[9]), grpc.StatusCode.INVALID_ARGUMENT),
    (lambda c: c.list_alarms(states=[0]), grpc.StatusCode.INVALID_ARGUMENT),
    (lambda c: c.get_alarm("x" * 100_000), grpc.StatusCode.NOT_FOUND),
    (lambda c: c.add_comment(PANIC, ""), grpc.StatusCode.INVALID_ARGUMENT),
    (lambda c: c.add_comment(PANIC, "x" * 5000), grpc.StatusCode.INVALID_ARGUMENT),
    (lambda c: c.add_comment(PANIC, "x" * (1 << 20)), grpc.StatusCode.RESOURCE_EXHAUSTED),
    (lambda c: c.acknowledge_alarm(PANIC, 1, "x" * 5000), grpc.StatusCode.INVALID_ARGUMENT),
    (lambda c: next_message(c.watch_alarms(refresh_batch_size=1001)), grpc.StatusCode.INVALID_ARGUMENT),
])
async def test_bad_input_gets_a_clear_status_and_changes_nothing(alarm_hub, call, code):
    await alarm_hub.submit(panic(), "synth")
    await settled(alarm_hub)
    before = alarm_hub.alarms.get(PANIC)
    async with client(alarm_hub) as ops:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call(ops)
    assert err.value.code() == code
    assert alarm_hub.alarms.get(PANIC) == before


async def test_watch_resume_ahead_of_the_journal_is_out_of_range(alarm_hub):
    async with client(alarm_hub) as ops:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await next_message(ops.watch_alarms(after_revision=10**6))
    assert err.value.code() == grpc.StatusCode.OUT_OF_RANGE


async def test_a_comment_is_recorded_and_journaled(alarm_hub):
    await alarm_hub.submit(fire(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, POLICE_TOKEN) as police:
        alarm = await police.add_comment("fp-1/fire.alarm", "smoke seen in block A")
        assert (alarm.revision, alarm.last_comment, alarm.state) == (2, "smoke seen in block A",
                                                                     pb.ALARM_STATE_UNACKNOWLEDGED)
        assert (await police.get_alarm("fp-1/fire.alarm")).revision == 2


async def test_a_sia_panic_frame_becomes_a_latched_alarm_visible_to_watchers(tmp_path):
    panel = DeviceSpec(id="panel-1", kind="alarm_panel", adapter="sia-main",
                       site=Site(region_code="140802", school_id="sch-a"),
                       options=SiaDeviceOptions(account="1234"))
    async with running_hub(alarm_settings(tmp_path, devices=[*DEVICES, panel], adapters=[
        AdapterInstance("sia-main", SiaAdapter, SiaOptions(host="127.0.0.1", tcp_port=0, udp_port=None))])) as hub:
        adapter = hub.adapter("sia-main")
        await asyncio.wait_for(adapter.ready.wait(), 5)
        async with client(hub, POLICE_TOKEN) as police:
            watch = police.watch_alarms()
            for _ in range(2):  # refresh start, refresh end: no alarm yet
                await next_message(watch)
            host, port = adapter.tcp_address
            tx = await SiaTransmitter.start(host, port, account="1234", transport="tcp", ack_timeout_s=2.0)
            try:
                delivery = await tx.send_sia("PA", 1, area=1)
                assert delivery.outcome == "ACK"
                raised = await next_message(watch)
                assert (raised.change, raised.alarm.id, raised.alarm.device_id, raised.alarm.priority) == (
                    "raised", "panel-1/panic.alarm", "panel-1", 1)
                assert raised.alarm.state == pb.ALARM_STATE_UNACKNOWLEDGED and raised.alarm.condition
                restore = await tx.send_sia("PR", 1, area=1)  # the panel restores: the latch holds the alarm
                assert restore.outcome == "ACK"
                latched = await next_message(watch)
                assert (latched.change, latched.alarm.state, latched.alarm.active) == (
                    "cleared", pb.ALARM_STATE_LATCHED_UNACKNOWLEDGED, True)
                acked = await police.acknowledge_alarm("panel-1/panic.alarm", latched.alarm.revision)
                assert acked.state == pb.ALARM_STATE_NORMAL
            finally:
                await tx.stop()
            watch.cancel()


async def test_subscribers_see_alarm_changes_in_the_event_stream_and_resume_through_them(alarm_hub):
    await alarm_hub.submit(panic(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, POLICE_TOKEN) as police:
        stream = police.subscribe(make_filter(categories=[Category.CATEGORY_ALARM]), from_earliest=True)
        response = await asyncio.wait_for(stream.read(), 10)
        [change] = response.batch.events
        assert (change.type, change.attributes["alarm_id"], change.attributes["revision"]) == (
            "alarm.raised", PANIC, "1")
        stream.cancel()
        await police.acknowledge_alarm(PANIC, 1)
        resumed = police.subscribe(make_filter(categories=[Category.CATEGORY_ALARM]), after=change.sequence)
        [acked] = (await asyncio.wait_for(resumed.read(), 10)).batch.events
        assert (acked.type, acked.attributes["actor"]) == ("alarm.acknowledged", "subscriber:police-yanhu")
        resumed.cancel()


async def test_a_watch_cancelled_as_the_alarm_table_advances_ends_cancelled(alarm_hub):
    """A WatchAlarms call cancelled (its client gone) in the loop turn the table advances must
    end: on Python 3.11, asyncio.wait_for returned and swallowed the cancellation (gh-86296), and
    the watch went on reading for no one."""
    from hub.api.grpc._alarms import AlarmApi

    projection = alarm_hub.alarms
    api = AlarmApi(alarm_hub.api, projection)
    position = projection.position
    waiter = asyncio.ensure_future(api._wait_for_changes(position))
    for _ in range(3):
        await asyncio.sleep(0)  # parked on the table's "advanced" event
    projection.tables.advance(position + 1)  # what applying an entry does, then the call's cancel
    waiter.cancel()
    try:
        with pytest.raises(asyncio.CancelledError):
            await waiter
    finally:
        projection.tables.position = position
