"""Conformance of the alarm model: the ISA-18.2 derivation table, every command's row in the
state machine, and event sequences after OPC UA Part 9 Annex B (written from the spec's worked
examples: active -> acknowledged -> inactive; active -> inactive unacknowledged -> acknowledged;
shelving) as test vectors."""
from __future__ import annotations

import dataclasses

import pytest

from hub.alarms import (
    RULES, Acknowledge, Alarm, Assign, Changed, Clear, Close, Comment, Disposition, Escalate, ExpireShelving,
    IsaState, Raise, Refused, SetOutOfService, Shelve, Shelving, Unshelve, alarm_id, apply,
)

S = IsaState


def fresh(**fields) -> Alarm:
    return Alarm(id=alarm_id("pb-1", "panic.alarm"), device="pb-1", type="panic.alarm", **fields)


# (active, acknowledged, latched, shelving, suppressed, out_of_service) -> ISA state
DERIVATION = [
    ((False, True, False, Shelving.UNSHELVED, False, False), S.NORMAL),
    ((True, False, False, Shelving.UNSHELVED, False, False), S.UNACKNOWLEDGED),
    ((True, True, False, Shelving.UNSHELVED, False, False), S.ACKNOWLEDGED),
    ((False, False, False, Shelving.UNSHELVED, False, False), S.RETURNED_UNACKNOWLEDGED),
    ((True, False, True, Shelving.UNSHELVED, False, False), S.LATCHED_UNACKNOWLEDGED),
    ((True, True, True, Shelving.UNSHELVED, False, False), S.LATCHED_ACKNOWLEDGED),
    ((True, False, False, Shelving.TIMED, False, False), S.SHELVED),
    ((True, False, False, Shelving.ONE_SHOT, False, False), S.SHELVED),
    ((True, False, False, Shelving.UNSHELVED, True, False), S.SUPPRESSED_BY_DESIGN),
    ((True, False, False, Shelving.TIMED, True, True), S.OUT_OF_SERVICE),
    ((False, True, False, Shelving.UNSHELVED, False, True), S.OUT_OF_SERVICE),
]


@pytest.mark.parametrize("flags, state", DERIVATION)
def test_isa_state_is_derived_from_the_flags(flags, state):
    active, acked, latched, shelving, suppressed, oos = flags
    alarm = fresh(active=active, acknowledged=acked, latched=latched, shelving=shelving, suppressed=suppressed,
                  out_of_service=oos)
    assert alarm.state is state


def test_every_isa_state_is_reachable_in_the_derivation_table():
    assert {state for _, state in DERIVATION} == set(IsaState)


def test_every_command_has_a_row():
    assert set(RULES) == {Raise, Clear, Acknowledge, Assign, Comment, Shelve, Unshelve, ExpireShelving,
                          SetOutOfService, Close, Escalate}


def run(alarm: Alarm, steps):
    """Apply (time, command) steps; each step's expectation is a dict of fields (with 'state',
    'kind' or 'refused' for the refusal code)."""
    for now, command, expected in steps:
        result = apply(alarm, command, now, "tester")
        if "refused" in expected:
            assert isinstance(result, Refused), (command, result)
            assert result.code == expected["refused"], result
            continue
        assert isinstance(result, Changed), (command, result)
        assert result.alarm.revision == alarm.revision + 1
        alarm = result.alarm
        for field, value in expected.items():
            actual = result.kind if field == "kind" else getattr(alarm, field)
            assert actual == value, (command, field, actual, value)
    return alarm


# --- OPC UA Part 9 Annex B sequences ----------------------------------------------------------
def test_annex_b_active_then_acknowledged_then_inactive():
    run(fresh(), [
        (10, Raise(), {"state": S.UNACKNOWLEDGED, "active": True, "acknowledged": False, "retained": True,
                       "revision": 1, "occurrence": 1, "raised_at": 10}),
        (20, Acknowledge(1, "on my way"), {"state": S.ACKNOWLEDGED, "acknowledged": True, "acknowledged_at": 20,
                                           "last_comment": "on my way", "retained": True}),
        (30, Clear(), {"state": S.NORMAL, "active": False, "retained": False, "cleared_at": 30}),
    ])


def test_annex_b_active_then_inactive_unacknowledged_then_acknowledged():
    run(fresh(), [
        (10, Raise(), {"state": S.UNACKNOWLEDGED}),
        (20, Clear(), {"state": S.RETURNED_UNACKNOWLEDGED, "active": False, "acknowledged": False,
                       "retained": True}),
        (30, Acknowledge(2), {"state": S.NORMAL, "retained": False}),
    ])


def test_annex_b_acknowledging_an_activation_never_seen_fails():
    """Acknowledge names the state notification it answers: after a re-activation, an
    acknowledgement of the earlier revision is refused and changes nothing."""
    alarm = run(fresh(), [
        (10, Raise(), {}), (20, Clear(), {}), (25, Raise(), {"state": S.UNACKNOWLEDGED, "occurrence": 2}),
    ])
    refused = apply(alarm, Acknowledge(2), 30, "op")
    assert isinstance(refused, Refused) and refused.code == "stale_revision"
    assert "revision 3" in refused.reason
    run(alarm, [(30, Acknowledge(3), {"state": S.ACKNOWLEDGED})])


def test_annex_b_acknowledging_twice_is_refused():
    alarm = run(fresh(), [(10, Raise(), {}), (11, Acknowledge(1), {})])
    run(alarm, [(12, Acknowledge(2), {"refused": "already_acknowledged"})])


def test_annex_b_timed_shelving_expires():
    run(fresh(), [
        (10, Raise(), {}),
        (11, Shelve(60, maximum=3600), {"state": S.SHELVED, "shelving": Shelving.TIMED, "shelved_until": 71}),
        (50, ExpireShelving(), {"refused": "no_change"}),
        (71, ExpireShelving(), {"state": S.UNACKNOWLEDGED, "shelving": Shelving.UNSHELVED, "kind": "unshelved"}),
    ])


def test_annex_b_one_shot_shelving_ends_when_the_alarm_goes_inactive():
    alarm = run(fresh(), [
        (10, Raise(), {}),
        (11, Shelve(3600, maximum=3600, one_shot=True), {"state": S.SHELVED, "shelving": Shelving.ONE_SHOT}),
        (12, Clear(), {"shelving": Shelving.UNSHELVED, "state": S.RETURNED_UNACKNOWLEDGED}),
    ])
    run(alarm, [(13, Shelve(10, maximum=3600, one_shot=True), {"refused": "not_allowed"})])


def test_annex_b_timed_shelving_outlives_the_activation_and_unshelve_ends_it():
    run(fresh(), [
        (10, Raise(), {}), (11, Shelve(600, maximum=3600), {}),
        (12, Clear(), {"state": S.SHELVED, "active": False}),
        (13, Unshelve(), {"state": S.RETURNED_UNACKNOWLEDGED}),
        (14, Unshelve(), {"refused": "not_allowed"}),
    ])


def test_shelving_beyond_the_maximum_is_refused():
    alarm = run(fresh(), [(10, Raise(), {})])
    run(alarm, [(11, Shelve(3601, maximum=3600), {"refused": "invalid_argument"}),
                (11, Shelve(0, maximum=3600), {"refused": "invalid_argument"})])


# --- latching and reactivation ----------------------------------------------------------------
def test_a_latched_momentary_alarm_stays_active_until_acknowledged():
    run(fresh(latching=True), [
        (10, Raise(momentary=True), {"state": S.LATCHED_UNACKNOWLEDGED, "active": True, "latched": True,
                                     "condition": False}),
        (11, Raise(momentary=True), {"refused": "no_change"}),  # a second press adds nothing
        (20, Acknowledge(1), {"state": S.NORMAL, "active": False, "latched": False, "cleared_at": 20}),
    ])


def test_a_latched_condition_that_clears_unacknowledged_stays_active():
    run(fresh(latching=True), [
        (10, Raise(), {"state": S.UNACKNOWLEDGED}),
        (11, Clear(), {"state": S.LATCHED_UNACKNOWLEDGED, "active": True, "condition": False}),
        (12, Raise(), {"state": S.UNACKNOWLEDGED, "latched": False, "occurrence": 1}),
        (13, Acknowledge(3), {"state": S.ACKNOWLEDGED}),
        (14, Clear(), {"state": S.NORMAL}),
    ])


def test_a_momentary_alarm_without_latch_returns_at_once_unacknowledged():
    run(fresh(), [(10, Raise(momentary=True), {"state": S.RETURNED_UNACKNOWLEDGED, "occurrence": 1})])


def test_a_reraise_within_the_reactivation_threshold_continues_the_occurrence():
    alarm = run(fresh(), [
        (10, Raise(reactivation=30), {}), (11, Acknowledge(1), {}), (12, Clear(), {}),
        (40, Raise(reactivation=30), {"kind": "reactivated", "occurrence": 1, "reactivations": 1,
                                      "acknowledged": True, "state": S.ACKNOWLEDGED}),
        (41, Clear(), {}),
    ])
    run(alarm, [(80, Raise(reactivation=30), {"kind": "raised", "occurrence": 2, "reactivations": 0,
                                              "acknowledged": False})])


# --- workflow -----------------------------------------------------------------------------------
def test_assign_comment_escalate_close():
    alarm = run(fresh(), [
        (10, Raise(), {}),
        (11, Assign("duty-desk-1"), {"assignee": "duty-desk-1", "kind": "assigned"}),
        (12, Comment("calling the guard"), {"last_comment": "calling the guard"}),
        (13, Comment("calling the guard"), {"revision": 4}),  # every comment is recorded
        (14, Escalate(1), {"escalation_level": 1}),
        (15, Escalate(1), {"refused": "invalid_argument"}),
        (16, Close(Disposition.REAL), {"refused": "not_allowed"}),
        (17, Acknowledge(5), {}),
        (18, Close(Disposition.REAL), {"refused": "not_allowed"}),  # still active
        (19, Clear(), {}),
        (20, Close(Disposition.FALSE), {"closed": True, "disposition": Disposition.FALSE}),
        (21, Close(Disposition.FALSE), {"refused": "no_change"}),
    ])
    # The next activation is a new occurrence: open, unassigned, at escalation level 0.
    run(alarm, [(30, Raise(), {"closed": False, "disposition": None, "assignee": "", "escalation_level": 0,
                               "occurrence": 2})])


def test_out_of_service_tracks_the_condition_but_names_the_state():
    run(fresh(), [
        (10, SetOutOfService(True), {"state": S.OUT_OF_SERVICE, "kind": "out_of_service"}),
        (11, Raise(), {"state": S.OUT_OF_SERVICE, "active": True}),
        (12, SetOutOfService(True), {"refused": "no_change"}),
        (13, SetOutOfService(False), {"state": S.UNACKNOWLEDGED, "kind": "in_service"}),
    ])


@pytest.mark.parametrize("command, code", [
    (Assign(""), "invalid_argument"), (Assign("x" * 129), "invalid_argument"),
    (Comment("   "), "invalid_argument"), (Comment("x" * 4097), "invalid_argument"),
    (Acknowledge(1, "x" * 4097), "invalid_argument"), (Escalate(4), "invalid_argument"),
])
def test_bad_arguments_are_refused(command, code):
    alarm = apply(fresh(), Raise(), 1, "device").alarm
    assert apply(alarm, command, 2, "op").code == code


def test_commands_on_an_alarm_that_never_occurred_are_refused():
    for command in (Assign("a"), Comment("c"), Shelve(1, maximum=2), Escalate(1)):
        assert apply(fresh(), command, 1, "op").code == "not_allowed"


def test_a_change_records_actor_and_time():
    alarm = apply(fresh(), Raise(), 5, "device:pb-1").alarm
    assert (alarm.last_actor, alarm.changed_at) == ("device:pb-1", 5)
    assert dataclasses.replace(alarm, last_actor="", changed_at=0.0, revision=0) != fresh()


def test_a_condition_must_outlast_its_on_delay_to_be_an_alarm():
    pending = run(fresh(), [
        (10, Raise(on_delay=30), {"kind": "pending", "state": S.NORMAL, "condition": True, "pending_since": 10,
                                  "active": False, "retained": False}),
        (20, Raise(on_delay=30), {"refused": "no_change"}),  # still waiting
    ])
    run(pending, [(40, Raise(on_delay=30), {"kind": "raised", "state": S.UNACKNOWLEDGED, "pending_since": 0,
                                            "occurrence": 1, "raised_at": 40})])
    run(pending, [(25, Clear(), {"state": S.NORMAL, "condition": False, "pending_since": 0, "occurrence": 0})])
