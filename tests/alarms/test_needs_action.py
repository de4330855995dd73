"""The duty desk's "needs action" view: a county operator sees its schools' alarms that need
action, those escalated to its level first; a city desk sees what reached the city."""
from __future__ import annotations

from campushub.v1 import alarm_service_pb2 as pb

from tests.kernel.conftest import ALL_TOKEN, EDU_TOKEN, POLICE_TOKEN

from .test_alarm_service import PANIC, client, fire, panic, settled

FIRE = "fp-1/fire.alarm"


async def test_escalated_alarms_come_first_for_the_level_they_reached(alarm_hub):
    for event in (panic(), fire(), panic("ups-9"), panic("far-1")):
        await alarm_hub.submit(event, "synth")
    await settled(alarm_hub)
    async with (client(alarm_hub, POLICE_TOKEN) as county, client(alarm_hub, EDU_TOKEN) as city,
                client(alarm_hub, ALL_TOKEN) as supervisor):
        await supervisor.alarm_call("EscalateAlarm", alarm_id=FIRE, level=1)
        await supervisor.acknowledge_alarm("ups-9/panic.alarm", 1)  # handled: no action needed

        view = (await county.alarm_call("ListAlarms", needs_action=True)).alarms
        assert [(a.id, a.escalated_to, a.escalated_to_you, a.needs_action) for a in view] == [
            (FIRE, "county", True, True), (PANIC, "", False, True)]  # raised after the panic, yet first
        plain = (await county.alarm_call("ListAlarms")).alarms
        assert [a.id for a in plain] == [PANIC, FIRE] or [a.id for a in plain] == [FIRE, PANIC]
        assert [a.id for a in (await county.alarm_call("ListAlarms", escalated_to_me=True)).alarms] == [FIRE]

        # The city desk (a 1408 scope) is not reached by a county escalation ...
        assert not (await city.alarm_call("ListAlarms", escalated_to_me=True)).alarms
        await supervisor.alarm_call("EscalateAlarm", alarm_id=FIRE, level=2)
        reached = (await city.alarm_call("ListAlarms", needs_action=True)).alarms
        assert [(a.id, a.escalated_to, a.escalated_to_you) for a in reached][0] == (FIRE, "city", True)
        # ... and the county still sees it as escalated past its level.
        assert (await county.get_alarm(FIRE)).escalated_to_you
        acked = await county.acknowledge_alarm(FIRE, (await county.get_alarm(FIRE)).revision)
        assert not acked.needs_action
        assert [a.id for a in (await city.alarm_call("ListAlarms", needs_action=True)).alarms] == [PANIC]
        assert pb.ALARM_STATE_ACKNOWLEDGED == acked.state
