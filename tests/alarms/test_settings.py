"""Settings inherited region → school → building, overridden per device: the most specific
override wins, setting by setting; and on a real hub an alarm behaves as its place's settings say."""
from __future__ import annotations

from hub.alarms import AlarmClass, AlarmOverride, AlarmSettings, EscalationStep, IsaState

from tests.kernel.conftest import running_hub

from .conftest import CLASSES, alarm_settings
from .test_projection import alarm_when, fire

PANIC = AlarmClass(name="panic", priority=1, latch=True, procedure="base",
                   escalation=(EscalationStep(60, "county"), EscalationStep(180, "city")))
OVERRIDES = (
    AlarmOverride({"procedure": "school"}, school="sch-b"),  # given first, yet more specific than the region
    AlarmOverride({"procedure": "city", "max_shelve": 60.0}, region="1408"),
    AlarmOverride({"procedure": "county"}, region="140802"),
    AlarmOverride({"procedure": "building"}, school="sch-b", building="A"),
    AlarmOverride({"escalation": (EscalationStep(10, "county"),)}, alarm_class="panic", device="pb-1"),
    AlarmOverride({"priority": 2}, alarm_class="fire", region="14"),  # another class's
)


def resolve(region="140802", school="sch-b", building="", device="pb-9"):
    return AlarmSettings([PANIC], OVERRIDES).resolve("panic", region, school, building, device)


def test_the_most_specific_place_wins_setting_by_setting():
    assert resolve().procedure == "school"
    assert resolve(building="A").procedure == "building"
    assert resolve(school="sch-c").procedure == "county"
    assert resolve(region="140821", school="sch-c").procedure == "city"
    assert resolve(region="110101", school="sch-bj") == PANIC  # nothing applies
    device = resolve(building="A", device="pb-1")
    assert (device.procedure, device.escalation, device.max_shelve) == ("building", (EscalationStep(10, "county"),), 60)
    assert resolve().priority == 1  # the fire class's override is not panic's


def test_an_unknown_class_has_no_settings():
    assert AlarmSettings([PANIC], OVERRIDES).resolve("gone", "140802", "sch-b", "", "pb-1") is None


async def test_a_schools_override_changes_how_its_alarms_behave_on_a_real_hub(tmp_path):
    overrides = (AlarmOverride({"max_shelve": 5.0, "procedure": "call sch-a's caretaker"}, school="sch-a",
                               building="A"),)
    async with running_hub(alarm_settings(tmp_path, alarm_overrides=overrides)) as hub:
        await hub.submit(fire(), "synth")  # fp-1 is in sch-a, building A
        alarm = await alarm_when(hub, "fp-1/fire.alarm")
        assert (alarm.building, alarm.state) == ("A", IsaState.UNACKNOWLEDGED)
        settings = hub.alarms.settings.of(alarm)
        assert (settings.max_shelve, settings.procedure) == (5.0, "call sch-a's caretaker")
        assert hub.alarms.settings.resolve("fire", "140802", "sch-a", "B", "cam-1") == CLASSES[1]
