"""Properties of the alarm state machine over arbitrary command sequences: the revision strictly
grows with every accepted command, a refused command changes nothing, and the derived state is
always one of ISA-18.2's."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.alarms import (
    Acknowledge, Alarm, Assign, Changed, Clear, Close, Comment, Disposition, Escalate, ExpireShelving, IsaState,
    Raise, Refused, SetOutOfService, Shelve, Unshelve, apply,
)

commands = st.one_of(
    st.builds(Raise, momentary=st.booleans(), reactivation=st.sampled_from([0.0, 5.0, 60.0])),
    st.just(Clear()),
    st.builds(Acknowledge, expected_revision=st.integers(0, 30), comment=st.text(max_size=5)),
    st.builds(Assign, assignee=st.text(max_size=4)),
    st.builds(Comment, text=st.text(max_size=4)),
    st.builds(Shelve, duration=st.floats(-1, 100), maximum=st.just(50.0), one_shot=st.booleans()),
    st.just(Unshelve()), st.just(ExpireShelving()),
    st.builds(SetOutOfService, out_of_service=st.booleans()),
    st.builds(Close, disposition=st.sampled_from(Disposition)),
    st.builds(Escalate, level=st.integers(-1, 5)),
)
steps = st.lists(st.tuples(st.floats(0, 20), commands, st.booleans()), max_size=40)


@given(latching=st.booleans(), steps=steps)
def test_revision_grows_and_refusals_change_nothing(latching, steps):
    alarm = Alarm(id="d/t", device="d", type="t", latching=latching)
    now = 0.0
    for delay, command, use_current_revision in steps:
        now += delay
        if isinstance(command, Acknowledge) and use_current_revision:
            command = Acknowledge(alarm.revision, command.comment)
        result = apply(alarm, command, now, "p")
        if isinstance(result, Refused):
            continue  # apply returns a new alarm only on change: the old one is what we keep
        assert isinstance(result, Changed)
        assert result.alarm.revision == alarm.revision + 1
        assert result.alarm != alarm
        alarm = result.alarm
        assert alarm.state in IsaState
        assert not (alarm.latched and not alarm.active)
        assert not (alarm.closed and (alarm.active or not alarm.acknowledged))


@given(steps=steps)
def test_the_machine_is_deterministic_and_leaves_its_input_alone(steps):
    """Same alarm, command and time: same result (so a rebuild replays identically)."""
    alarm = Alarm(id="d/t", device="d", type="t")
    now = 0.0
    for delay, command, _ in steps:
        now += delay
        before = alarm
        result = apply(alarm, command, now, "p")
        assert alarm == before
        assert apply(alarm, command, now, "p") == result
        if isinstance(result, Changed):
            alarm = result.alarm
