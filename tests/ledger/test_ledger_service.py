"""LedgerService over real gRPC on loopback with a real hub: a manual entry with a photo goes
登记 → 整改中 → 待验收 → 销号 with actors; illegal moves and bad input are refused (counted,
nothing journaled); 挂牌督办 only from a higher level; automatic entries from a fire-panel fault
clear to 待验收 and close only by a person; overdue entries are marked and journaled; statistics."""
from __future__ import annotations

import asyncio

import grpc
import pytest

from campushub.v1 import ledger_service_pb2 as pb
from campushub.v1 import report_service_pb2 as report_pb
from hub.events import Category, DeviceState, Severity, State, new_event
from tests.kernel.conftest import EDU_TOKEN, POLICE_TOKEN

from .conftest import SCHOOL_TOKEN, client, png

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100 + b"\xff\xd9"


async def register(hub, token=None, **fields):
    values = dict(grade=pb.HAZARD_GRADE_GENERAL, category="fire", school_id="sch-a", location="Building A, 3F",
                  description="fire door propped open", responsible="Wang")
    values.update(fields)
    async with client(hub, **({"token": token} if token else {})) as caller:
        return (await caller.ledger_call("RegisterHazard", **values)).hazard


async def call(hub, name, token=None, **fields):
    async with client(hub, **({"token": token} if token else {})) as caller:
        return await caller.ledger_call(name, **fields)


async def refused(hub, name, token=None, **fields) -> grpc.aio.AioRpcError:
    head = hub.journal.head
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call(hub, name, token, **fields)
    assert hub.journal.head == head  # nothing journaled
    return error.value


async def test_an_entry_goes_through_its_states_with_actors_and_a_photo(ledger_hub):
    hazard = await register(ledger_hub, photos=[png()])
    assert hazard.state == pb.HAZARD_STATE_REGISTERED and hazard.revision == 1
    assert hazard.deadline.seconds - hazard.registered_at.seconds == 3 * 86400  # general + fire from config
    assert hazard.photos[0].mime_type == "image/png"
    photo = await call(ledger_hub, "GetHazardPhoto", hazard_id=hazard.id, photo_id=hazard.photos[0].id)
    assert photo.photo == png()
    # Kept in the hub's media store beside the journal, out of its retention's reach.
    assert ledger_hub.media.locate(hazard.photos[0].id)[0].parent.parent.name == "kept"
    for to in (pb.HAZARD_STATE_RECTIFYING, pb.HAZARD_STATE_AWAITING_ACCEPTANCE):
        hazard = (await call(ledger_hub, "MoveHazard", POLICE_TOKEN, hazard_id=hazard.id, to=to,
                             comment="on it")).hazard
    assert hazard.state == pb.HAZARD_STATE_AWAITING_ACCEPTANCE and hazard.last_actor == "subscriber:police-yanhu"
    error = await refused(ledger_hub, "MoveHazard", POLICE_TOKEN, hazard_id=hazard.id, to=pb.HAZARD_STATE_CLOSED)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED and "supervisor" in error.details()
    hazard = (await call(ledger_hub, "MoveHazard", hazard_id=hazard.id, to=pb.HAZARD_STATE_CLOSED,
                         comment="checked")).hazard
    assert hazard.state == pb.HAZARD_STATE_CLOSED and hazard.closed_at.seconds
    history = (await call(ledger_hub, "GetHazardHistory", hazard_id=hazard.id)).changes
    assert [c.change for c in history] == ["registered", "rectifying", "submitted", "closed"]
    assert [c.hazard.last_actor for c in history][-1] == "subscriber:ops"
    error = await refused(ledger_hub, "MoveHazard", hazard_id=hazard.id, to=pb.HAZARD_STATE_RECTIFYING)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and "allowed moves: none" in error.details()
    assert ledger_hub.report_metrics.refused.labels("illegal_move")._value.get() == 1


async def test_an_illegal_move_names_the_allowed_moves(ledger_hub):
    hazard = await register(ledger_hub)
    error = await refused(ledger_hub, "MoveHazard", hazard_id=hazard.id, to=pb.HAZARD_STATE_CLOSED)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "rectifying (整改中), awaiting_acceptance (待验收)" in error.details()


@pytest.mark.parametrize("fields, words", [
    ({"grade": 7}, "unknown grade"),
    ({"category": "weather"}, "unknown category"),
    ({"deadline": {"seconds": 1000}}, "deadline is in the past"),
    ({"grade": pb.HAZARD_GRADE_MAJOR}, "五落实"),
    ({"photos": [b"GIF89a not ours"]}, "neither a JPEG nor a PNG"),
    ({"photos": [JPEG[:-2]]}, "end-of-image"),
    ({"photos": [b"\xff\xd8\xff" + b"\x00" * (950 << 10) + b"\xff\xd9"]}, "at most"),
])
async def test_bad_registrations_are_refused_and_nothing_changes(ledger_hub, tmp_path, fields, words):
    values = dict(grade=pb.HAZARD_GRADE_GENERAL, category="fire", school_id="sch-a", description="x")
    values.update(fields)
    error = await refused(ledger_hub, "RegisterHazard", **values)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and words in error.details()
    assert not ledger_hub.ledger.table
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.*"))


async def test_a_major_entry_with_its_plan_and_supervision_from_above_only(ledger_hub, clock):
    plan = pb.RectificationPlan(measures="replace the panel", funds="20000 yuan", people="Li, Zhao",
                                contingency="fire watch every night")
    plan.deadline.seconds = int(clock() + 20 * 86400)
    hazard = await register(ledger_hub, grade=pb.HAZARD_GRADE_MAJOR, plan=plan, photos=[JPEG])
    assert hazard.plan.funds == "20000 yuan"
    error = await refused(ledger_hub, "SuperviseHazard", SCHOOL_TOKEN, hazard_id=hazard.id, supervised=True)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED and "higher level" in error.details()
    hazard = (await call(ledger_hub, "SuperviseHazard", hazard_id=hazard.id, supervised=True,
                         comment="挂牌督办")).hazard
    assert hazard.supervised and hazard.supervised_by == "ops"
    listed = await call(ledger_hub, "ListHazards", supervised_only=True)
    assert [h.id for h in listed.hazards] == [hazard.id]
    # Outside the scope it is not there at all.
    edu_only = await call(ledger_hub, "ListHazards", EDU_TOKEN)
    assert edu_only.total == 1  # 1408 covers 140802
    error = await refused(ledger_hub, "GetHazard", POLICE_TOKEN, hazard_id="HZ-nope")
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def settle(hub):
    for _ in range(3):
        await asyncio.wait_for(hub.ledger.wait_applied(hub.journal.head), 10)


async def test_a_fire_panel_fault_opens_an_entry_that_clears_to_acceptance_and_only_a_person_closes(ledger_hub):
    raised = new_event(device_id="fp-1", type="fire.fault", category=Category.CATEGORY_FIRE,
                       severity=Severity.SEVERITY_MAJOR, state=State.STATE_RAISED, attributes={"text": "Panel fault"})
    await ledger_hub.submit(raised, "synth")
    await settle(ledger_hub)
    [hazard] = ledger_hub.ledger.table.values()
    assert hazard.source == "auto:fire.fault" and hazard.device == "fp-1" and hazard.state == "registered"
    await ledger_hub.submit(raised, "synth")  # still faulty: no second entry
    cleared = new_event(device_id="fp-1", type="fire.fault", category=Category.CATEGORY_FIRE,
                        severity=Severity.SEVERITY_MAJOR, state=State.STATE_CLEARED)
    await ledger_hub.submit(cleared, "synth")
    await settle(ledger_hub)
    [hazard] = ledger_hub.ledger.table.values()
    assert hazard.state == "awaiting_acceptance" and hazard.fault_cleared and hazard.last_actor == "hub"
    closed = (await call(ledger_hub, "MoveHazard", hazard_id=hazard.id, to=pb.HAZARD_STATE_CLOSED)).hazard
    assert closed.state == pb.HAZARD_STATE_CLOSED


async def test_a_fault_raised_again_after_its_entry_was_closed_opens_a_new_one_and_only_one(ledger_hub):
    def fault(state):
        return new_event(device_id="fp-1", type="fire.fault", category=Category.CATEGORY_FIRE,
                         severity=Severity.SEVERITY_MAJOR, state=state)

    for state in (State.STATE_RAISED, State.STATE_CLEARED):
        await ledger_hub.submit(fault(state), "synth")
    await settle(ledger_hub)
    [first] = ledger_hub.ledger.table.values()
    await call(ledger_hub, "MoveHazard", hazard_id=first.id, to=pb.HAZARD_STATE_CLOSED)
    for _ in range(2):  # raised again, and again while its new entry is open
        await ledger_hub.submit(fault(State.STATE_RAISED), "synth")
        await ledger_hub.submit(new_event(device_id="fp-1", type="device.online", category=Category.CATEGORY_DEVICE,
                                          severity=Severity.SEVERITY_INFO), "synth")  # (not deduplicated)
    await settle(ledger_hub)
    second = [h for h in ledger_hub.ledger.table.values() if h.id != first.id]
    assert len(second) == 1 and second[0].state == "registered" and second[0].cause == "fire.fault"
    await ledger_hub.submit(fault(State.STATE_CLEARED), "synth")
    await settle(ledger_hub)
    assert ledger_hub.ledger.get(second[0].id).state == "awaiting_acceptance"
    assert ledger_hub.ledger.get(first.id).state == "closed"


async def test_overdue_entries_are_journaled_and_counted_in_statistics_and_gauges(ledger_hub, clock):
    import datetime as dt
    late = await register(ledger_hub)
    on_time = await register(ledger_hub, description="exit sign dark")
    for to in (pb.HAZARD_STATE_AWAITING_ACCEPTANCE, pb.HAZARD_STATE_CLOSED):
        await call(ledger_hub, "MoveHazard", hazard_id=on_time.id, to=to)
    clock.offset = 4 * 86400
    sequences = await ledger_hub.ledger.tick()
    await settle(ledger_hub)
    overdue = [e for e in await ledger_hub.journal.read_after(sequences[0] - 1, 1) if e.type == "ledger.overdue"]
    assert overdue and overdue[0].severity == Severity.SEVERITY_MAJOR
    assert ledger_hub.ledger.get(late.id).overdue and not await ledger_hub.ledger.tick()  # once
    listed = await call(ledger_hub, "ListHazards", overdue_only=True)
    assert [h.id for h in listed.hazards] == [late.id]
    year = dt.datetime.fromtimestamp(clock() + 8 * 3600, dt.timezone.utc).year
    # Four days on, the cameras never seen since the census are offline over 24 h, and the panic
    # button has sent no test in its period: automatic entries.
    automatic = {(h.device, h.cause) for h in ledger_hub.ledger.table.values() if h.automatic}
    assert automatic == {("cam-1", "camera_offline"), ("far-1", "camera_offline"), ("pb-1", "panic_test_missed")}
    ledger_hub.device_states.report("synth", "cam-1", DeviceState.DEVICE_STATE_ONLINE, "answered")
    track = ledger_hub.reports.facts.tracks["cam-1"]

    async def online():
        while not track.is_online(clock()):
            await asyncio.sleep(0.01)
    await asyncio.wait_for(online(), 10)
    await ledger_hub.ledger.tick()
    await settle(ledger_hub)
    camera = next(h for h in ledger_hub.ledger.table.values() if h.device == "cam-1")
    assert camera.state == "awaiting_acceptance" and camera.fault_cleared
    stats = await call(ledger_hub, "GetHazardStatistics", year=year)
    county = next(place for place in stats.places if place.code == "140802")
    assert (county.registered, county.state_closed, county.overdue) == (4, 1, 1)
    assert county.on_time_rate == 1.0 and county.name == "盐湖区"
    error = await refused(ledger_hub, "GetHazardStatistics", year=year, quarter=5)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    for token in ("x", "\u00b9"):  # '¹' passes str.isdigit but not int()
        error = await refused(ledger_hub, "ListHazards", page_token=token)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in error.details()
    collected = {(s.name, tuple(sorted(s.labels.items()))): s.value
                 for metric in ledger_hub.metrics.registry.collect() for s in metric.samples}
    assert collected[("campushub_ledger_overdue_entries", (("code", "sch-a"), ("grade", "general"),
                                                           ("level", "school")))] == 1


async def test_statistics_group_by_level(ledger_hub, clock):
    import datetime as dt
    await register(ledger_hub)
    year = dt.datetime.fromtimestamp(clock() + 8 * 3600, dt.timezone.utc).year
    stats = await call(ledger_hub, "GetHazardStatistics", year=year, level=report_pb.REPORT_LEVEL_SCHOOL)
    assert [p.code for p in stats.places] == ["sch-a"] and stats.places[0].name == "实验小学"
