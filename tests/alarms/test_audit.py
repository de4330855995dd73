"""Every alarm command, accepted or refused, is journaled with principal, role, peer and time and
listed by ListAudit (scoped, paged); refusals are counted and change no alarm; supervisors force
and shelve longer, operators shelve within the class's limit."""
from __future__ import annotations

import asyncio

import grpc
import pytest

from campushub.v1 import alarm_service_pb2 as pb
from hub.alarms import audit_of, is_audit, is_change
from hub.events import Category
from hub.journal import JournalCursor

from tests.kernel.conftest import ALL_TOKEN, EDU_TOKEN, POLICE_TOKEN

from .test_alarm_service import FAR, client, fire, panic, settled

FIRE = "fp-1/fire.alarm"


async def journaled(hub):
    cursor = JournalCursor.at(hub.journal, 0)
    entries = []
    while batch := await cursor.read():
        entries += batch
    return entries


async def refused(awaitable) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await awaitable
    return err.value


def refusals(hub, code: str) -> float:
    return hub.metrics.alarm_commands_refused.labels(code)._value.get()


async def test_every_command_accepted_or_refused_is_journaled_and_a_refusal_changes_nothing(alarm_hub):
    for event in (fire(), panic("far-1")):
        await alarm_hub.submit(event, "synth")
    await settled(alarm_hub)
    before = dict(alarm_hub.alarms.table)
    changes_before = sum(map(is_change, await journaled(alarm_hub)))
    async with client(alarm_hub, POLICE_TOKEN) as police, client(alarm_hub, EDU_TOKEN) as viewer:
        assert (await refused(viewer.acknowledge_alarm(FIRE, 1))).code() == grpc.StatusCode.PERMISSION_DENIED
        assert (await refused(police.acknowledge_alarm(FAR, 1))).code() == grpc.StatusCode.NOT_FOUND
        assert (await refused(police.acknowledge_alarm("no/such.alarm", 1))).code() == grpc.StatusCode.NOT_FOUND
        big = await refused(police.add_comment(FIRE, "x" * 1_000_000))
        assert big.code() == grpc.StatusCode.INVALID_ARGUMENT and "at most 4096" in big.details()
        assert (await refused(police.acknowledge_alarm(FIRE, 7))).code() == grpc.StatusCode.FAILED_PRECONDITION
        assert alarm_hub.alarms.table == before
        assert sum(map(is_change, await journaled(alarm_hub))) == changes_before
        acked = await police.acknowledge_alarm(FIRE, 1, "on it")

    records = [audit_of(entry) for entry in await journaled(alarm_hub) if is_audit(entry)]
    assert [(r.principal, r.action, r.outcome, r.code) for r in records] == [
        ("edu-yuncheng", "acknowledge", "refused", "role"),
        ("police-yanhu", "acknowledge", "refused", "not_found"),
        ("police-yanhu", "acknowledge", "refused", "not_found"),
        ("police-yanhu", "comment", "refused", "invalid_argument"),
        ("police-yanhu", "acknowledge", "refused", "stale_revision"),
        ("police-yanhu", "acknowledge", "accepted", ""),
    ]
    assert all(r.peer.startswith("ipv4:127.0.0.1:") and r.at > 0 for r in records)
    assert records[3].details == "comment=1000000 chars"  # the 1 MB comment is recorded by its length
    assert (records[1].region, records[2].region) == ("110101", "")  # FAR's jurisdiction sees the attempt
    assert (records[-1].revision, records[-1].role) == (acked.revision, "operator")
    assert refusals(alarm_hub, "not_found") == 2 and refusals(alarm_hub, "role") == 1


async def test_list_audit_is_scoped_newest_first_and_paged(alarm_hub):
    for event in (fire(), panic("far-1")):
        await alarm_hub.submit(event, "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, POLICE_TOKEN) as police, client(alarm_hub, ALL_TOKEN) as supervisor:
        await refused(police.acknowledge_alarm(FAR, 1))
        await supervisor.add_comment(FAR, "seen from the city")
        for n in range(3):
            await police.add_comment(FIRE, f"note {n}")
        everything = (await supervisor.alarm_call("ListAudit")).records
        assert [(r.principal, r.alarm_id, r.outcome) for r in everything] == [
            ("police-yanhu", FIRE, "accepted")] * 3 + [("ops", FAR, "accepted"), ("police-yanhu", FAR, "refused")]
        assert everything[0].at.seconds > 0 and everything[0].sequence > everything[1].sequence
        # The police see their own records, and none of what others did outside their scope.
        mine = (await police.alarm_call("ListAudit")).records
        assert [(r.principal, r.alarm_id) for r in mine] == [("police-yanhu", FIRE)] * 3 + [("police-yanhu", FAR)]
        first = await supervisor.alarm_call("ListAudit", page_size=2, principal="police-yanhu")
        assert len(first.records) == 2 and first.next_page_token
        rest = await supervisor.alarm_call("ListAudit", page_size=2, principal="police-yanhu",
                                           page_token=first.next_page_token)
        assert [r.details for r in first.records] + [r.details for r in rest.records] == [
            "comment=6 chars"] * 3 + ["expected_revision=1 force=false comment=0 chars"]
        assert not rest.next_page_token
        only_refused = (await supervisor.alarm_call("ListAudit", refused_only=True)).records
        assert [(r.code, r.alarm_id) for r in only_refused] == [("not_found", FAR)]
        bad = await refused(supervisor.alarm_call("ListAudit", page_token="x"))
        assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_flood_of_acknowledgements_is_one_change_and_every_attempt_audited(alarm_hub):
    await alarm_hub.submit(fire(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, POLICE_TOKEN) as police:
        outcomes = await asyncio.gather(*[police.acknowledge_alarm(FIRE, 1) for _ in range(100)],
                                        return_exceptions=True)
    accepted = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(accepted) == 1 and accepted[0].revision == 2
    assert {o.code() for o in outcomes if isinstance(o, Exception)} == {grpc.StatusCode.FAILED_PRECONDITION}
    entries = await journaled(alarm_hub)
    assert [change.category for change in entries if is_change(change)] == [Category.CATEGORY_ALARM] * 2
    records = [audit_of(entry) for entry in entries if is_audit(entry)]
    assert len(records) == 100 and sum(r.outcome == "accepted" for r in records) == 1


async def test_operators_shelve_within_the_class_limit_supervisors_longer(alarm_hub):
    await alarm_hub.submit(fire(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, POLICE_TOKEN) as operator, client(alarm_hub, ALL_TOKEN) as supervisor:
        beyond = await refused(operator.alarm_call("ShelveAlarm", alarm_id=FIRE, duration_seconds=601))
        assert beyond.code() == grpc.StatusCode.INVALID_ARGUMENT and "at most 600 s" in beyond.details()
        assert (await operator.alarm_call("ShelveAlarm", alarm_id=FIRE, duration_seconds=600)).alarm.shelving == (
            pb.SHELVING_STATE_TIMED)
        await operator.alarm_call("UnshelveAlarm", alarm_id=FIRE)
        assert (await supervisor.alarm_call("ShelveAlarm", alarm_id=FIRE, duration_seconds=3600)).alarm.state == (
            pb.ALARM_STATE_SHELVED)
        beyond = await refused(supervisor.alarm_call("ShelveAlarm", alarm_id=FIRE, duration_seconds=3601))
        assert "at most 3600 s" in beyond.details()


async def test_supervisors_force_an_acknowledgement_and_close_an_active_alarm(alarm_hub):
    await alarm_hub.submit(fire(), "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, POLICE_TOKEN) as operator, client(alarm_hub, ALL_TOKEN) as supervisor:
        denied = await refused(operator.alarm_call("AcknowledgeAlarm", alarm_id=FIRE, expected_revision=0,
                                                   force=True))
        assert denied.code() == grpc.StatusCode.PERMISSION_DENIED and "force" in denied.details()
        forced = (await supervisor.alarm_call("AcknowledgeAlarm", alarm_id=FIRE, expected_revision=0,
                                              force=True)).alarm
        assert (forced.acknowledged, forced.active, forced.revision) == (True, True, 2)
        not_yet = await refused(supervisor.alarm_call("CloseAlarm", alarm_id=FIRE, disposition=pb.DISPOSITION_TEST))
        assert not_yet.code() == grpc.StatusCode.FAILED_PRECONDITION
        closed = (await supervisor.alarm_call("CloseAlarm", alarm_id=FIRE, disposition=pb.DISPOSITION_TEST,
                                              force=True)).alarm
        assert (closed.closed, closed.active, closed.state, closed.disposition) == (
            True, False, pb.ALARM_STATE_NORMAL, pb.DISPOSITION_TEST)
