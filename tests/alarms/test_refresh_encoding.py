"""WatchAlarms' alarms are encoded in the background once the table is rebuilt at start, and a
refresh that comes before that is done still brings every alarm as it is (it encodes what is
missing itself). A real hub restarted over a journal of alarm changes, real gRPC on loopback."""
from __future__ import annotations

import asyncio
import dataclasses
import time

from campushub.v1 import alarm_service_pb2 as pb
from hub.alarms import LEVELS, Alarm, Raise, alarm_id, apply
from hub.alarms._journaled import change_event
from hub.api.grpc.client import HubClient
from hub.events import Category, stamp_received
from hub.journal import Journal

from tests.kernel.conftest import ALL_TOKEN, POLICE_TOKEN, running_hub

from .conftest import alarm_settings
from .test_alarm_service import refresh

ALARMS = 1500
ESCALATED_EVERY = 100  # every 100th alarm was escalated to the county
COUNTY, PROVINCE = 1, len(LEVELS)  # the duty levels of POLICE_TOKEN's and ALL_TOKEN's scopes


async def journal_of_alarms(path: str) -> None:
    """ALARMS raised panic alarms (every ESCALATED_EVERY-th escalated), as a hub journals them."""
    journal = Journal(path, durability="off")
    await journal.open()
    now = time.time()
    appended = []
    for n in range(ALARMS):
        device = f"pb-{n}"
        raised = apply(Alarm(id=alarm_id(device, "panic.alarm"), device=device, type="panic.alarm", region="140802",
                             school=f"sch-{n % 10}", category=Category.CATEGORY_PANIC, class_name="panic",
                             priority=1, latching=True), Raise(momentary=True), now, f"device:{device}").alarm
        if n % ESCALATED_EVERY == 0:
            raised = dataclasses.replace(raised, escalation_level=1, revision=raised.revision + 1)
        event = change_event(raised, "raised")
        stamp_received(event, now)
        appended.append(journal.append(event))
    await asyncio.gather(*appended)
    await journal.close()


def expected(hub, level: int) -> list[pb.Alarm]:
    """The retained alarms as a caller of duty ``level`` sees them, built now from the table."""
    api = hub.grpc.alarms
    return sorted((api._message(alarm, level) for alarm in hub.alarms.table.values() if alarm.retained),
                  key=lambda message: message.id)


async def watched(hub, token: str, batch_size: int) -> list[pb.Alarm]:
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", token) as caller:
        call = caller.watch_alarms(refresh_batch_size=batch_size)
        _, alarms = await refresh(call)
        call.cancel()
    return sorted(alarms, key=lambda message: message.id)


async def test_the_alarms_are_encoded_in_the_background_after_start(tmp_path):
    await journal_of_alarms(str(tmp_path / "journal.db"))
    async with running_hub(alarm_settings(tmp_path)) as hub:
        api = hub.grpc.alarms
        await asyncio.wait_for(api.encoded_at_start.wait(), 30)
        escalated = ALARMS // ESCALATED_EVERY
        assert len(hub.alarms.table) == ALARMS
        # Each alarm as the school's desk sees it, and the escalated ones as the county's too.
        assert len(api.encoded) == ALARMS + escalated
        # The province's desk (all regions) and the county's (the police of 140802).
        for token, level, escalated_to_caller in ((ALL_TOKEN, PROVINCE, 0), (POLICE_TOKEN, COUNTY, escalated)):
            alarms = await watched(hub, token, 1000)
            assert alarms == expected(hub, level)
            assert sum(a.escalated_to_you for a in alarms) == escalated_to_caller
        assert len(api.encoded) == ALARMS + escalated  # the refreshes found every alarm encoded


async def test_a_refresh_before_the_background_encoding_is_done_brings_every_alarm(tmp_path):
    await journal_of_alarms(str(tmp_path / "journal.db"))
    async with running_hub(alarm_settings(tmp_path)) as hub:
        api = hub.grpc.alarms
        # Stopped wherever it was (nothing, some chunks, or all encoded): the refreshes encode the rest.
        await api.stop_encoding()
        first, one_each = await asyncio.gather(watched(hub, ALL_TOKEN, 1000), watched(hub, ALL_TOKEN, 0))
        assert first == one_each == expected(hub, PROVINCE)
        assert len(first) == ALARMS


async def test_a_refresh_during_the_background_encoding_brings_every_alarm_as_it_is_now(tmp_path):
    await journal_of_alarms(str(tmp_path / "journal.db"))
    async with running_hub(alarm_settings(tmp_path)) as hub:
        async with HubClient(f"127.0.0.1:{hub.grpc_port}", ALL_TOKEN) as ops:
            commented = await ops.add_comment(alarm_id("pb-7", "panic.alarm"), "on my way")
        alarms = await watched(hub, ALL_TOKEN, 100)
        assert alarms == expected(hub, PROVINCE)
        assert [a for a in alarms if a.id == commented.id] == [commented]
        await asyncio.wait_for(hub.grpc.alarms.encoded_at_start.wait(), 30)
        assert await watched(hub, ALL_TOKEN, 1000) == alarms
