"""The rest of AlarmService over loopback gRPC: assign, shelve within the class's maximum,
unshelve, out of service, close with a disposition, escalate, and the history of every change
with its actor and peer."""
from __future__ import annotations

import grpc
import pytest

from campushub.v1 import alarm_service_pb2 as pb
from hub.access import Scope, Subscriber, hash_token
from hub.events import Category, Severity, State, new_event

from tests.kernel.conftest import ALL_TOKEN, EDU_TOKEN, POLICE_TOKEN, SUBSCRIBERS, running_hub

from .conftest import alarm_settings
from .test_alarm_service import client, settled

PLATFORM_TOKEN = "platform-secret-token"

FIRE = "fp-1/fire.alarm"


def fire(state=State.STATE_RAISED):
    return new_event(device_id="fp-1", type="fire.alarm", category=Category.CATEGORY_FIRE,
                     severity=Severity.SEVERITY_CRITICAL, state=state)


async def test_an_alarms_life_from_raise_to_close_and_its_history(alarm_hub):
    await alarm_hub.submit(fire(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, ALL_TOKEN) as supervisor:
        call = supervisor.alarm_call
        assert (await call("AssignAlarm", alarm_id=FIRE, assignee="duty-1")).alarm.assignee == "duty-1"
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call("ShelveAlarm", alarm_id=FIRE, duration_seconds=3601)  # the fire class allows supervisors 3600 s
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "3600" in err.value.details()
        shelved = (await call("ShelveAlarm", alarm_id=FIRE, duration_seconds=600)).alarm
        assert (shelved.state, shelved.shelving) == (pb.ALARM_STATE_SHELVED, pb.SHELVING_STATE_TIMED)
        assert shelved.shelved_until.seconds - shelved.changed_at.seconds in (599, 600)
        assert (await call("UnshelveAlarm", alarm_id=FIRE)).alarm.state == pb.ALARM_STATE_UNACKNOWLEDGED
        escalated = (await call("EscalateAlarm", alarm_id=FIRE, level=2)).alarm
        assert escalated.escalation_level == 2
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call("EscalateAlarm", alarm_id=FIRE, level=1)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call("CloseAlarm", alarm_id=FIRE, disposition=pb.DISPOSITION_REAL)
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        acked = await supervisor.acknowledge_alarm(FIRE, escalated.revision)
        await alarm_hub.submit(fire(State.STATE_CLEARED), "synth")
        await settled(alarm_hub)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call("CloseAlarm", alarm_id=FIRE)  # no disposition
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        closed = (await call("CloseAlarm", alarm_id=FIRE, disposition=pb.DISPOSITION_FALSE)).alarm
        assert (closed.closed, closed.disposition, closed.revision) == (True, pb.DISPOSITION_FALSE, acked.revision + 2)
        oos = (await call("SetOutOfService", alarm_id=FIRE, out_of_service=True)).alarm
        assert oos.state == pb.ALARM_STATE_OUT_OF_SERVICE

        history = (await call("GetAlarmHistory", alarm_id=FIRE)).changes
        assert [c.change for c in history] == ["raised", "assigned", "shelved", "unshelved", "escalated",
                                               "acknowledged", "cleared", "closed", "out_of_service"]
        assert [c.alarm.revision for c in history] == list(range(1, 10))
        assert history[0].alarm.last_actor == "device:fp-1" and history[0].peer == ""
        assert history[1].alarm.last_actor == "subscriber:ops" and history[1].peer.startswith("ipv4:127.0.0.1:")
        sequences = [c.table_revision for c in history]
        assert sequences == sorted(sequences)


async def test_one_shot_shelving_ends_when_the_alarm_clears(alarm_hub):
    await alarm_hub.submit(fire(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub) as ops:
        shelved = (await ops.alarm_call("ShelveAlarm", alarm_id=FIRE, duration_seconds=60, one_shot=True)).alarm
        assert shelved.shelving == pb.SHELVING_STATE_ONE_SHOT
        await alarm_hub.submit(fire(State.STATE_CLEARED), "synth")
        await settled(alarm_hub)
        alarm = await ops.get_alarm(FIRE)
        assert (alarm.shelving, alarm.state) == (pb.SHELVING_STATE_UNSHELVED, pb.ALARM_STATE_RETURNED_UNACKNOWLEDGED)


@pytest.mark.parametrize("token, name, fields, allowed", [
    (EDU_TOKEN, "AddComment", {"comment": "seen"}, False),          # viewer
    (EDU_TOKEN, "AcknowledgeAlarm", {"expected_revision": 1}, False),
    (POLICE_TOKEN, "AcknowledgeAlarm", {"expected_revision": 1}, True),  # operator
    (POLICE_TOKEN, "SetOutOfService", {"out_of_service": True}, False),
    (ALL_TOKEN, "SetOutOfService", {"out_of_service": True}, True),      # supervisor
    (PLATFORM_TOKEN, "AddComment", {"comment": "forwarded to 110"}, True),  # platform
    (PLATFORM_TOKEN, "AcknowledgeAlarm", {"expected_revision": 1}, False),
])
async def test_roles_say_who_may_do_what(tmp_path, token, name, fields, allowed):
    subscribers = [*SUBSCRIBERS, Subscriber("platform-1", hash_token(PLATFORM_TOKEN), Scope(all_regions=True),
                                            "platform")]
    async with running_hub(alarm_settings(tmp_path, subscribers=subscribers)) as hub:
        await hub.submit(fire(), "synth")
        await settled(hub)
        async with client(hub, token) as caller:
            assert (await caller.get_alarm(FIRE)).revision == 1  # every role reads
            if allowed:
                assert (await caller.alarm_call(name, alarm_id=FIRE, **fields)).alarm.revision == 2
            else:
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await caller.alarm_call(name, alarm_id=FIRE, **fields)
                assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED and "role" in err.value.details()
                assert hub.alarms.get(FIRE).revision == 1
