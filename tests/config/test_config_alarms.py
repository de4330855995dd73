"""The alarms: section: classes load into hub.alarms.AlarmClass, and every mistake is reported at
its file:line."""
from __future__ import annotations

import textwrap

import hub.config
from hub.alarms import AlarmClass, EscalationStep
from hub.events import Category, Severity

from config_helpers import BASE, problems_of

CLASSES = textwrap.dedent("""\
    alarms:
      classes:
        - name: panic
          categories: [panic]
          priority: 1
          latch: true
          procedure: https://duty.example/panic
          escalation:
            - {after: 60s, to: county}
            - {after: 3m, to: city}
        - name: camera-offline
          type_prefixes: [device.offline]
          min_severity: warning
          priority: 4
          on_delay: 30s
          reactivation: 2m
          auto_acknowledge: 1h
    """)


def test_alarm_classes_load_as_the_kernel_uses_them():
    config = hub.config.load_text(BASE + CLASSES, "hub.yaml", env={})
    panic, offline = config.alarms.alarm_classes()
    assert panic == AlarmClass(name="panic", priority=1, categories=frozenset({Category.CATEGORY_PANIC}), latch=True,
                               procedure="https://duty.example/panic",
                               escalation=(EscalationStep(60.0, "county"), EscalationStep(180.0, "city")))
    assert (offline.type_prefixes, offline.min_severity, offline.on_delay, offline.reactivation,
            offline.auto_acknowledge) == (("device.offline",), Severity.SEVERITY_WARNING, 30.0, 120.0, 3600.0)
    assert offline.max_shelve == 8 * 3600.0


def test_no_alarms_section_means_no_classes():
    assert hub.config.load_text(BASE, "hub.yaml", env={}).alarms.alarm_classes() == []


def _messages(text: str) -> list[tuple[int, str]]:
    return [(problem.line, f"{problem.message}; expected {problem.expected}") for problem in problems_of(BASE + text)]


def test_a_ladder_that_goes_down_a_level_is_reported_at_its_line():
    text = CLASSES.replace("{after: 3m, to: city}", "{after: 3m, to: county}")
    problems = problems_of(BASE + text)
    assert len(problems) == 1, problems
    line = BASE.count("\n") + 1 + text.splitlines().index("      escalation:")
    assert problems[0].line == line and "not up a level" in problems[0].message


def test_a_ladder_whose_steps_go_back_in_time_is_an_error():
    [(_, message)] = _messages(CLASSES.replace("after: 3m", "after: 30s"))
    assert "not later than" in message


def test_auto_acknowledge_on_an_urgent_class_is_an_error():
    [(_, message)] = _messages(CLASSES.replace("priority: 4", "priority: 2"))
    assert "priorities 3 and 4" in message


def test_each_mistake_is_reported():
    text = CLASSES.replace("priority: 1", "priority: 5").replace("[panic]", "[panik]").replace("to: city", "to: town")
    found = _messages(text)
    assert len(found) == 3, found
    messages = " | ".join(message for _, message in found)
    for expected in ("panik", "did you mean 'panic'", "invalid value 5", "town"):
        assert expected in messages, messages


def test_class_names_are_unique():
    [(_, message)] = _messages(CLASSES.replace("name: camera-offline", "name: panic"))
    assert "two classes are named 'panic'" in message


def test_the_integrator_guide_example_loads():
    """The guide's alarms example (marked `hub-config in alarms`) is what goes under alarms:."""
    import pathlib
    import re
    guide = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "integrator-guide.md").read_text()
    body = re.findall(r"<!-- example: hub-config in alarms -->\n```yaml\n(.*?)```", guide, re.S)[0]
    config = hub.config.load_text(BASE + "alarms:\n" + textwrap.indent(body, "  "), "hub.yaml", env={})
    assert [c.name for c in config.alarms.classes] == ["panic", "fire", "camera-offline"]


def test_a_subscriber_role_is_one_of_four_and_defaults_to_viewer():
    assert hub.config.load_text(BASE, "hub.yaml", env={}).subscribers[0].role == "viewer"
    scope = 'scope: {region_prefixes: ["140802"]}'
    text = BASE.replace(scope, scope + "\n    role: operator")
    assert hub.config.load_text(text, "hub.yaml", env={}).subscribers[0].role == "operator"
    [problem] = problems_of(text.replace("role: operator", "role: admin"))
    line, message = problem.line, f"{problem.message}; expected {problem.expected}"
    assert "admin" in message and "supervisor" in message
    assert line == text.splitlines().index("    role: operator") + 1
