"""alarms: overrides and coverage: settings inherited region → school → building, overridden per
device; a ladder above the hub's coverage, or an override naming what does not exist, is reported
at its file:line."""
from __future__ import annotations

import textwrap

import hub.config
from hub.alarms import AlarmOverride, EscalationStep

from config_helpers import BASE, problems_of

ALARMS = textwrap.dedent("""\
    alarms:
      coverage: city
      classes:
        - name: panic
          categories: [panic]
          priority: 1
          latch: true
          escalation:
            - {after: 60s, to: county}
            - {after: 3m, to: city}
      overrides:
        - region: "1408"
          alarm_class: panic
          procedure: call the city desk
        - school: sch-1
          alarm_class: panic
          escalation: [{after: 30s, to: county}]
        - device: panel-1
          max_shelve: 10m
    """)


def _lines(text: str) -> list[str]:
    return (BASE + text).splitlines()


def test_overrides_load_as_the_kernel_uses_them():
    config = hub.config.load_text(BASE + ALARMS, "hub.yaml", env={})
    assert config.alarms.coverage == "city"
    region, school, device = config.alarms.alarm_overrides()
    assert region == AlarmOverride({"procedure": "call the city desk"}, alarm_class="panic", region="1408")
    assert school.changes == {"escalation": (EscalationStep(30.0, "county"),)} and school.school == "sch-1"
    assert (device.device, dict(device.changes)) == ("panel-1", {"max_shelve": 600.0})


def test_a_ladder_above_the_hubs_coverage_is_reported_at_its_line():
    text = ALARMS.replace("coverage: city", "coverage: county")
    [problem] = problems_of(BASE + text)
    assert problem.line == _lines(text).index("        - {after: 3m, to: city}") + 1
    assert "above this hub's coverage (county)" in problem.message


def test_an_overrides_ladder_is_checked_like_a_class_ladder():
    text = ALARMS.replace("[{after: 30s, to: county}]", "[{after: 30s, to: city}, {after: 60s, to: county}]")
    [problem] = problems_of(BASE + text)
    assert "not up a level" in problem.message
    assert problem.line == _lines(text).index("      escalation: [{after: 30s, to: city}, {after: 60s, to: county}]") + 1


def test_every_unknown_name_in_an_override_is_reported_at_its_line():
    text = (ALARMS.replace("alarm_class: panic\n      procedure", "alarm_class: panik\n      procedure")
            .replace("school: sch-1", "school: sch-9").replace("device: panel-1", "device: panel-9"))
    found = {(problem.line, problem.message) for problem in problems_of(BASE + text)}
    lines = _lines(text)
    assert found == {
        (lines.index("      alarm_class: panik") + 1, "unknown alarm class 'panik'"),
        (lines.index("    - school: sch-9") + 1, "unknown school 'sch-9'"),
        (lines.index("    - device: panel-9") + 1, "unknown device 'panel-9'"),
    }, found


def test_an_override_names_one_place_and_changes_something():
    messages = [f"{p.message}; expected {p.expected}" for p in problems_of(BASE + ALARMS.replace("- device: panel-1", "- device: panel-1\n      school: sch-1"))]
    assert any("exactly one of" in m for m in messages), messages
    messages = [f"{p.message}; expected {p.expected}" for p in problems_of(BASE + ALARMS.replace("      max_shelve: 10m\n", ""))]
    assert any("changes nothing" in m for m in messages), messages
    messages = [f"{p.message}; expected {p.expected}" for p in problems_of(BASE + ALARMS.replace("school: sch-1", "building: A"))]
    assert any("exactly one of" in m or "without its school" in m for m in messages), messages


def test_a_building_must_be_one_the_schools_devices_name():
    text = ALARMS.replace("school: sch-1\n", "school: sch-1\n      building: B\n")
    [problem] = problems_of(BASE + text)
    assert "unknown building of sch-1 'B'" in problem.message


def test_a_supervisors_shelving_limit_is_at_least_the_operators():
    text = ALARMS.replace("latch: true", "latch: true\n      max_shelve: 2h\n      supervisor_max_shelve: 1h")
    [problem] = problems_of(BASE + text)
    assert "supervisor_max_shelve" in problem.message
