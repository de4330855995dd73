"""The alarm table on a real hub: device events become alarms through the journal, every change
is a journaled ALARM event naming the alarm, its revision and the actor, the table is rebuilt
identically from the journal, and a restart neither loses nor repeats a decision."""
from __future__ import annotations

import asyncio

import pytest

from hub.alarms import Acknowledge, AlarmNotFound, CommandRefused, Comment, IsaState, is_change, change_of
from hub.events import Category, Severity, State, new_event
from hub.journal import JournalCursor
from hub.kernel import Hub

from tests.kernel.conftest import running_hub

from .conftest import alarm_settings


def panic(device="pb-1", state=State.STATE_MOMENTARY):
    return new_event(device_id=device, type="panic.alarm", category=Category.CATEGORY_PANIC,
                     severity=Severity.SEVERITY_CRITICAL, state=state)


def fire(state=State.STATE_RAISED, severity=Severity.SEVERITY_CRITICAL, zone=""):
    event = new_event(device_id="fp-1", type="fire.alarm", category=Category.CATEGORY_FIRE, severity=severity,
                      state=state)
    if zone:
        event.site.zone = zone
    return event


async def alarm_when(hub, alarm_id, predicate=lambda alarm: True):
    async def wait():
        while True:
            alarm = hub.alarms.get(alarm_id)
            if alarm is not None and predicate(alarm):
                return alarm
            await hub.alarms.wait_beyond(hub.alarms.position)
    return await asyncio.wait_for(wait(), 10)


async def changes_in(journal):
    cursor = JournalCursor.at(journal, 0)
    entries = []
    while batch := await cursor.read():
        entries += batch
    return [change_of(entry) for entry in entries if is_change(entry)]


async def test_a_panic_press_is_a_latched_alarm_until_acknowledged(alarm_hub):
    source = await alarm_hub.submit(panic(), "synth")
    alarm = await alarm_when(alarm_hub, "pb-1/panic.alarm/gate")
    assert (alarm.state, alarm.priority, alarm.revision, alarm.last_actor) == (
        IsaState.LATCHED_UNACKNOWLEDGED, 1, 1, "device:pb-1")
    assert (alarm.region, alarm.school, alarm.class_name) == ("140802", "sch-b", "panic")
    acknowledged = await alarm_hub.alarms.command(alarm.id, Acknowledge(1, "guard sent"), "subscriber:ops")
    assert (acknowledged.state, acknowledged.revision, acknowledged.last_comment) == (IsaState.NORMAL, 2, "guard sent")
    [raised, acked] = await changes_in(alarm_hub.journal)
    assert raised.sequence > source and (raised.kind, acked.kind) == ("raised", "acknowledged")
    event = (await alarm_hub.journal.read_after(acked.sequence - 1, 1))[0].event()
    assert (event.type, event.category, event.source_device_id, event.site.school_id) == (
        "alarm.acknowledged", Category.CATEGORY_ALARM, "pb-1", "sch-b")
    assert {k: event.attributes[k] for k in ("alarm_id", "revision", "actor", "state", "source_category")} == {
        "alarm_id": "pb-1/panic.alarm/gate", "revision": "2", "actor": "subscriber:ops", "state": "normal",
        "source_category": "panic"}


async def test_a_stale_acknowledgement_is_refused_and_changes_nothing(alarm_hub):
    await alarm_hub.submit(fire(), "synth")
    await alarm_hub.submit(fire(State.STATE_CLEARED), "synth")
    await alarm_hub.submit(fire(), "synth")
    alarm = await alarm_when(alarm_hub, "fp-1/fire.alarm", lambda a: a.revision == 3)
    with pytest.raises(CommandRefused) as refused:
        await alarm_hub.alarms.command(alarm.id, Acknowledge(1), "subscriber:ops")
    assert refused.value.refused.code == "stale_revision"
    assert alarm_hub.alarms.get(alarm.id) == alarm
    assert len(await changes_in(alarm_hub.journal)) == 3
    with pytest.raises(AlarmNotFound):
        await alarm_hub.alarms.command("nope/x.y", Acknowledge(0), "subscriber:ops")


async def test_events_no_class_selects_are_no_alarms(alarm_hub):
    await alarm_hub.submit(fire(severity=Severity.SEVERITY_WARNING), "synth")  # below the class's minimum
    await alarm_hub.submit(new_event(device_id="cam-1", type="video.motion", category=Category.CATEGORY_VIDEO,
                                     severity=Severity.SEVERITY_INFO), "synth")
    marker = await alarm_hub.submit(fire(zone="3"), "synth")
    await alarm_when(alarm_hub, "fp-1/fire.alarm/3")
    assert alarm_hub.alarms.position >= marker
    assert list(alarm_hub.alarms.table) == ["fp-1/fire.alarm/3"]


async def test_drop_the_table_rebuild_from_the_journal_identical(alarm_hub):
    await alarm_hub.submit(panic(), "synth")
    await alarm_hub.submit(fire(), "synth")
    await alarm_hub.submit(panic("pb-1"), "synth")
    await alarm_when(alarm_hub, "fp-1/fire.alarm")
    alarm = await alarm_when(alarm_hub, "pb-1/panic.alarm/gate")
    await alarm_hub.alarms.command(alarm.id, Comment("on the phone"), "subscriber:ops")
    before = dict(alarm_hub.alarms.table)
    assert len(before) == 2
    alarm_hub.alarms.table.clear()
    await alarm_hub.alarms.rebuild()
    assert alarm_hub.alarms.table == before


async def test_a_restart_resumes_without_losing_or_repeating_a_decision(tmp_path):
    async with running_hub(alarm_settings(tmp_path)) as first:
        await first.submit(fire(), "synth")
        await alarm_when(first, "fp-1/fire.alarm")
        table = dict(first.alarms.table)
    async with running_hub(alarm_settings(tmp_path)) as again:
        assert again.alarms.table == table
        await again.submit(fire(State.STATE_CLEARED), "synth")
        cleared = await alarm_when(again, "fp-1/fire.alarm", lambda a: not a.active)
        assert (cleared.revision, cleared.state) == (2, IsaState.RETURNED_UNACKNOWLEDGED)
        assert [change.kind for change in await changes_in(again.journal)] == ["raised", "cleared"]


async def test_a_device_event_decided_but_not_committed_past_is_not_decided_twice(tmp_path):
    """Crash between journaling a change and committing the cursor past its device event: the
    change's source_sequence tells the next start it was decided."""
    first = Hub(alarm_settings(tmp_path))
    await first.start()
    try:
        await first.submit(panic(), "synth")
        alarm = await alarm_when(first, "pb-1/panic.alarm/gate")
        await first.alarms.command(alarm.id, Acknowledge(1), "subscriber:ops")
        await first.journal.save_cursor("alarms", 0)  # as if the commit past the press never happened
    finally:
        first.alarms._task.cancel()  # no later commit either
        await first.stop()
    async with running_hub(alarm_settings(tmp_path)) as again:
        marker = await again.submit(new_event(device_id="cam-1", type="video.motion", category=Category.CATEGORY_VIDEO,
                                              severity=Severity.SEVERITY_INFO), "synth")
        while again.alarms.position < marker:
            await again.alarms.wait_beyond(again.alarms.position)
        assert [change.kind for change in await changes_in(again.journal)] == ["raised", "acknowledged"]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_escalation_is_journaled_and_survives_a_restart_from_journaled_times(tmp_path):
    """The panic class escalates to the county after 60 s unacknowledged. The hub is down when it
    falls due (stopped with its timers cancelled, as by kill -9): the first tick after the restart
    escalates, computed from the journaled raise time."""
    import time
    clock = Clock(time.time())
    async with running_hub(alarm_settings(tmp_path, alarm_clock=clock, alarm_tick_interval=None)) as first:
        await first.submit(panic(), "synth")
        alarm = await alarm_when(first, "pb-1/panic.alarm/gate")
        clock.now = alarm.raised_at + 59
        assert await first.alarms.tick() == []
    clock.now = alarm.raised_at + 61
    async with running_hub(alarm_settings(tmp_path, alarm_clock=clock, alarm_tick_interval=None)) as again:
        [sequence] = await again.alarms.tick()
        await again.alarms.wait_applied(sequence)
        escalated = again.alarms.get(alarm.id)
        assert (escalated.escalation_level, escalated.revision, escalated.last_actor) == (1, 2, "hub")
        assert await again.alarms.tick() == []  # done once
        event = (await again.journal.read_after(sequence - 1, 1))[0].event()
        assert (event.type, event.attributes["escalation_level"], event.attributes["actor"]) == (
            "alarm.escalated", "1", "hub")


async def test_a_camera_offline_shorter_than_the_on_delay_is_no_alarm_a_longer_one_is(tmp_path):
    from hub.alarms import AlarmClass
    import time
    offline = AlarmClass(name="camera-offline", priority=4, type_prefixes=("device.offline",), on_delay=30)
    clock = Clock(time.time())
    hub_settings = alarm_settings(tmp_path, alarm_classes=(offline,), alarm_clock=clock, alarm_tick_interval=None)
    async with running_hub(hub_settings) as hub:
        def offline_event(state):
            return new_event(device_id="cam-1", type="device.offline", category=Category.CATEGORY_DEVICE,
                             severity=Severity.SEVERITY_MAJOR, state=state)
        await hub.submit(offline_event(State.STATE_RAISED), "synth")
        pending = await alarm_when(hub, "cam-1/device.offline")
        assert (pending.state, pending.pending_since > 0, pending.active) == (IsaState.NORMAL, True, False)
        clock.now = pending.pending_since + 29
        assert await hub.alarms.tick() == []
        clock.now = pending.pending_since + 30
        [sequence] = await hub.alarms.tick()
        await hub.alarms.wait_applied(sequence)
        active = hub.alarms.get(pending.id)
        assert (active.state, active.raised_at, active.last_actor) == (IsaState.UNACKNOWLEDGED, clock.now, "hub")


async def test_a_hub_stopped_while_its_alarms_catch_up_on_a_backlog_stops_whole(tmp_path):
    """Stopped while the alarm table waits for the changes of a backlog to be journaled (more
    than MAX_UNJOURNALED decided at once): the stop goes on to the pipeline and the journal, and
    the next start decides what is left, each event once."""
    from hub.alarms._projection import MAX_UNJOURNALED
    from hub.events import stamp_received
    from hub.journal import Journal
    presses = MAX_UNJOURNALED * 2
    backlog = Journal(str(tmp_path / "journal.db"), durability="off")
    await backlog.open()
    appended = []
    for n in range(presses + 1):
        event = panic(f"pb-{n}")
        event.site.region_code, event.site.school_id = "140802", "sch-b"
        stamp_received(event)
        appended.append(backlog.append(event))
    await asyncio.gather(*appended)
    await backlog.save_cursor("alarms", 0)  # none decided yet
    await backlog.close()

    hub = Hub(alarm_settings(tmp_path))
    held = []

    def not_journaled_yet(event, adapter):  # (a journal that has not committed the changes: deterministic,
        held.append(asyncio.get_running_loop().create_future())  # where a slow commit was not on a quiet machine)
        return held[-1]

    hub.alarms.tables._submit = not_journaled_yet
    await hub.start()
    while len(hub.alarms._unjournaled) < MAX_UNJOURNALED:  # the loop waits for them to be journaled
        await asyncio.sleep(0)
    await hub.stop()
    assert hub.journal.closed

    async with running_hub(alarm_settings(tmp_path)) as again:
        while len(again.alarms.table) < presses + 1:
            await asyncio.wait_for(again.alarms.wait_beyond(again.alarms.position), 30)
        changes = [entry.event() for entry in await again.journal.read_after(presses + 1, 3 * presses)
                   if is_change(entry)]
    sources = [int(event.attributes["source_sequence"]) for event in changes if event.type == "alarm.raised"]
    assert sorted(sources) == list(range(1, presses + 2))
