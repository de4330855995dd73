"""Decoding and change detection: one raise per condition, one clear when it ends."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from adapters.modbus.mapping import transition_event
from adapters.modbus.profile import Table, load_profile
from adapters.modbus.tracker import PanelTracker, RegisterValueError, decode_word
from hub.events import State

PROFILES = Path(__file__).parents[2] / "config" / "profiles"
NOTIFIER = load_profile(PROFILES / "notifier-gw.yaml")
GENERIC = load_profile(PROFILES / "generic.yaml")
ZONE_WORD_FIRE = 1 << 11


def test_fire_in_zone_three_is_one_raise_then_one_clear():
    tracker = PanelTracker(NOTIFIER)
    assert tracker.feed(Table.holding, 3000, [0] * 64) == []
    fire = [0] * 64
    fire[2] = ZONE_WORD_FIRE
    raised = tracker.feed(Table.holding, 3000, fire)
    assert [(t.decoded.condition.event, t.raised, dict(t.instance.labels)) for t in raised] == [
        ("fire.alarm", True, {"zone": "3"})]
    for _ in range(3):  # polls that see the same state say nothing
        assert tracker.feed(Table.holding, 3000, fire) == []
    cleared = tracker.feed(Table.holding, 3000, [0] * 64)
    assert [(t.decoded.condition.event, t.raised) for t in cleared] == [("fire.alarm", False)]
    event = transition_event("fp-1", NOTIFIER, cleared[0], occurred_at=1_700_000_000.0)
    assert event.state == State.STATE_CLEARED and event.attributes["zone"] == "3"
    assert event.raw.text == "holding 3002 = 0x0000"


def test_first_read_raises_what_is_already_active():
    tracker = PanelTracker(NOTIFIER)
    raised = tracker.feed(Table.holding, 4000, [0b10001])  # fire + AC fail
    assert sorted(t.decoded.condition.event for t in raised) == ["fire.alarm", "power.ac_loss"]
    assert all(t.raised for t in raised)


def test_point_addressing_by_loop():
    tracker = PanelTracker(NOTIFIER)
    # Loop 2 (words 200..399), address 17 (first: 0) is word 217.
    raised = tracker.feed(Table.holding, 217, [1 << 13])
    assert [(t.decoded.condition.event, dict(t.instance.labels)) for t in raised] == [
        ("fire.fault", {"loop": "2", "point": "17"})]


def test_enum_and_scaled_values():
    battery = GENERIC.signals[1]
    assert decode_word(battery, 2730) == []
    low = decode_word(battery, 2000)
    assert [d.condition.event for d in low] == ["power.battery_low"]
    point = GENERIC.signals[3]
    assert [d.condition.event for d in decode_word(point, 2)] == ["fire.fault"]
    assert decode_word(point, 99) == []
    tracker = PanelTracker(GENERIC)
    (transition,) = tracker.feed(Table.holding, 1, [2000])
    event = transition_event("fp", GENERIC, transition, 0.0)
    assert event.attributes["value"] == "20V" and event.attributes["below"] == "21"


def test_bad_values_raise_the_documented_error():
    tracker = PanelTracker(NOTIFIER)
    with pytest.raises(RegisterValueError):
        tracker.feed(Table.holding, 0, [0x10000])
    with pytest.raises(RegisterValueError):
        tracker.feed(Table.holding, 0xFFFF, [0, 0])


@given(st.lists(st.lists(st.integers(0, 0xFFFF), min_size=64, max_size=64), min_size=1, max_size=8))
def test_transitions_replay_to_the_current_state(reads):
    """Raises minus clears over any read sequence equal the conditions that hold now."""
    tracker = PanelTracker(NOTIFIER)
    held: set[tuple[str, str]] = set()
    for words in reads:
        for t in tracker.feed(Table.holding, 3000, words):
            key = (t.instance.key, t.decoded.key)
            if t.raised:
                assert key not in held
                held.add(key)
            else:
                assert key in held
                held.remove(key)
    expected = {(f"zone[{i}]", f"bit{bit}") for i, word in enumerate(reads[-1])
                for bit in NOTIFIER.signals[1].bits if word >> bit & 1}
    assert held == expected == {(i.key, d.key) for i, d in tracker.active()}


@given(st.integers(0, 0xFFFF))
def test_same_read_twice_changes_nothing(word):
    tracker = PanelTracker(GENERIC)
    tracker.feed(Table.holding, 0, [word, word])
    assert tracker.feed(Table.holding, 0, [word, word]) == []


ALL_PROFILES = [load_profile(p) for p in sorted(PROFILES.glob("*.yaml"))]


@st.composite
def panel_changes(draw):
    """A profile and a few (condition, where, on/off) changes a simulated panel can make."""
    profile = draw(st.sampled_from(ALL_PROFILES))
    instances = list(profile.instances())
    changes = []
    for _ in range(draw(st.integers(1, 6))):
        instance = draw(st.sampled_from(instances))
        signal = instance.signal
        conditions = signal.bits or signal.enum or {i: t for i, t in enumerate(signal.value.thresholds)}
        event = draw(st.sampled_from(sorted({c.event for c in conditions.values()})))
        changes.append((instance, event, draw(st.booleans())))
    return profile, changes


def _where(instance):
    return {k: int(v) for k, v in instance.labels}


@given(panel_changes())
def test_simulator_encoding_round_trips_through_the_decoder(case):
    """What the simulator sets in registers is what the adapter's decoder reads back."""
    from simulators.fire_panel.panel import PanelModel

    profile, changes = case
    model = PanelModel("p", profile)
    tracker = PanelTracker(profile)
    for instance, event, on in changes:
        model.raise_condition(event, on=on, **_where(instance))
        for block in profile.blocks:
            tracker.feed(block.table, block.start, model.read(block.table, block.start, block.count))
        held = {(i.key, d.condition.event) for i, d in tracker.active()}
        assert ((instance.key, event) in held) == on


def test_a_forgotten_tracker_answers_as_a_new_one():
    fire = [ZONE_WORD_FIRE] * 8
    tracker = PanelTracker(NOTIFIER)
    tracker.feed(Table.holding, 3000, fire)
    assert tracker.feed(Table.holding, 3000, fire) == []
    tracker.forget()
    assert tracker.active() == []
    fresh = PanelTracker(NOTIFIER)
    assert tracker.feed(Table.holding, 3000, fire) == fresh.feed(Table.holding, 3000, fire) != []
    assert tracker.active() == fresh.active()


def test_panels_of_one_profile_share_its_layout_but_not_their_state():
    first, second = PanelTracker(NOTIFIER), PanelTracker(NOTIFIER)
    assert first._at is second._at
    fire = [0] * 64
    fire[2] = ZONE_WORD_FIRE
    first.feed(Table.holding, 3000, fire)
    second.feed(Table.holding, 3000, [0] * 64)
    assert [dict(i.labels) for i, _ in first.active()] == [{"zone": "3"}]
    assert second.active() == []


def test_a_bad_value_in_a_read_changes_nothing_of_that_read():
    tracker = PanelTracker(NOTIFIER)
    tracker.feed(Table.holding, 3000, [0] * 64)
    fire = [0] * 64
    fire[2] = ZONE_WORD_FIRE
    fire[40] = 0x1_0000  # not a register value: the read is refused whole
    with pytest.raises(RegisterValueError):
        tracker.feed(Table.holding, 3000, fire)
    assert tracker.active() == []
    fire[40] = 0
    assert [t.raised for t in tracker.feed(Table.holding, 3000, fire)] == [True]  # raised once, now


def test_a_panel_holds_little_more_than_its_last_reads():
    # Issue 20: each panel built its own layout of every decoded word (~130 KiB a panel).
    import tracemalloc
    PanelTracker(GENERIC)  # the shared layout, built once
    tracemalloc.start()
    try:
        trackers = [PanelTracker(GENERIC) for _ in range(20)]
        for tracker in trackers:
            for block in GENERIC.blocks:
                tracker.feed(block.table, block.start, [0] * block.count)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held / len(trackers) < 16 * 1024, held / len(trackers)
