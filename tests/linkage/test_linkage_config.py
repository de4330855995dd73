"""The linkage: section is checked when loaded: each mistake is a problem at its file:line."""
from __future__ import annotations

import textwrap

import pytest

import hub.config
from hub.config import ConfigError

BASE = """\
hub: {id: test-hub}
sites:
  - {school_id: sch-1, region_code: "140802"}
adapters:
  - {name: synth, type: synthetic}
devices:
  - {id: cam-1, kind: camera, adapter: synth, site: {school_id: sch-1, zone: gate}}
  - {id: pb-1, kind: panic_button, adapter: synth, site: {school_id: sch-1, zone: gate}}
alarms:
  classes:
    - {name: panic, categories: [panic], priority: 1}
linkage:
"""


def problems(linkage: str, tmp_path=None, **files) -> list[str]:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    text = BASE + textwrap.indent(textwrap.dedent(linkage), "  ")
    try:
        hub.config.load_text(text, "hub.yaml", base_dir=tmp_path)
    except ConfigError as exc:
        return [f"{p.file.rsplit('/', 1)[-1]}:{p.line}: {p.message}" for p in exc.problems]
    return []


def test_a_good_section_loads_into_rules_and_coverage(tmp_path):
    config = hub.config.load_text(BASE + textwrap.indent(textwrap.dedent("""\
        coverage: [{camera: cam-1, home_preset: "1", sites: [{zone: gate, preset: "2"}]}]
        rules:
          - id: gate
            when: {alarm_class: panic}
            condition: 'event.site.zone == "gate"'
            do: [{snapshot: {}}, {ptz_preset: {lease: 30s}}]
            schedule: {windows: [{from: "22:00", to: "06:00"}]}
        """), "  "), "hub.yaml", base_dir=tmp_path)
    [rule] = config.linkage.engine_rules()
    assert rule.trigger.alarm_class == "panic" and [a.kind for a in rule.actions] == ["snapshot", "ptz_preset"]
    assert len(rule.version) == 12 and rule.schedule.windows[0].start.hour == 22
    assert config.linkage.engine_coverage().home == {"cam-1": "1"}


def test_a_misspelt_field_in_a_condition_is_a_problem_at_its_line(tmp_path):
    found = problems("""\
        rules:
          - id: r1
            when: {categories: [panic]}
            condition: 'event.sevrity >= 3'
            do: [{snapshot: {}}]
        """, tmp_path)
    assert len(found) == 1 and found[0].startswith("hub.yaml:16:")
    assert "undefined field 'sevrity' not found in struct 'campushub.v1.Event'" in found[0]


def test_a_condition_that_is_not_a_bool_is_a_problem(tmp_path):
    [found] = problems("""\
        rules: [{id: r1, when: {}, condition: event.type, do: [{snapshot: {}}]}]
        """, tmp_path)
    assert "the condition is a string, not a bool" in found


@pytest.mark.parametrize("schedule, says", [
    ('{windows: [{from: "07:00", to: "07:00"}]}', "the window from 07:00 to 07:00 is empty"),
    ("{on_holidays: only}", "on_holidays: only with no holidays listed would never run"),
    ('{windows: [{from: "25:00", to: "07:00"}]}', "'25:00' is not a time of day"),
    ('{windows: [{days: [mon, fry], from: "07:00", to: "08:00"}]}', "unknown day 'fry' (did you mean 'fri'?)"),
])
def test_an_impossible_schedule_is_a_problem(tmp_path, schedule, says):
    [found] = problems(f"""\
        rules: [{{id: r1, when: {{}}, do: [{{snapshot: {{}}}}], schedule: {schedule}}}]
        """, tmp_path)
    assert found.startswith("hub.yaml:13:") and says in found


def test_missing_cameras_devices_and_classes_are_problems_at_their_lines(tmp_path):
    found = problems("""\
        coverage: [{camera: cam-9, sites: [{zone: gate}]}, {camera: pb-1, sites: [{zone: gate}]}]
        rules:
          - id: r1
            when: {alarm_class: fires}
            do:
              - snapshot: {cameras: [covering, cam-7]}
              - relay: {device: strobe-1, output: relay1, for: 10s}
        """, tmp_path)
    assert found == [
        "hub.yaml:13: unknown camera 'cam-9'", "hub.yaml:13: unknown camera 'pb-1'",
        "hub.yaml:16: rule 'r1': unknown alarm class 'fires'", "hub.yaml:18: rule 'r1': unknown camera 'cam-7'",
        "hub.yaml:19: rule 'r1': unknown device 'strobe-1'"]


def test_a_relay_without_a_stop_and_a_rule_raising_its_own_trigger_are_problems(tmp_path):
    found = problems("""\
        rules:
          - {id: r1, when: {}, do: [{relay: {device: cam-1, output: relay1}}]}
          - {id: r2, when: {type_prefixes: [fire.]}, do: [{raise: {type: fire.confirmed}}]}
          - {id: r2, when: {}, do: [{snapshot: {}, notify: {url: "http://127.0.0.1:1/"}}]}
        """, tmp_path)
    assert any("hub.yaml:14:" in p and "a relay action needs its stop" in p for p in found)
    assert any("hub.yaml:15:" in p and "it would trigger itself" in p for p in found)
    assert any("hub.yaml:16:" in p and "an action is exactly one of" in p for p in found)


def test_a_problem_in_a_rule_file_names_that_file_and_line(tmp_path):
    found = problems("rule_files: [more-rules.yaml]\n", tmp_path, **{"more-rules.yaml": """\
        rules:
          - id: r1
            when: {}
            condition: 'event.atributes["x"] == "1"'
            do: [{snapshot: {}}]
        """})
    assert any(p.startswith("more-rules.yaml:4:") and "undefined field 'atributes'" in p for p in found), found


RULE_FILE_NAMING_MISSING_DEVICES = """\
    rules:
      - id: gate-panic
        when: {alarm_class: panic}
        do:
          - snapshot: {cameras: [cam-1, cam-gate-2]}
      - id: fire-silence
        when: {categories: [fire]}
        do:
          - panel: {device: fp-3, command: silence}
          - ptz_preset: {cameras: [pb-1], preset: "2"}
    """


def test_a_rule_file_naming_devices_hub_yaml_lacks_names_the_file_the_rule_and_the_device(tmp_path):
    found = problems("rule_files: [gate-rules.yaml]\n", tmp_path, **{"gate-rules.yaml": RULE_FILE_NAMING_MISSING_DEVICES})
    assert found == ["gate-rules.yaml:5: rule 'gate-panic': unknown camera 'cam-gate-2'",
                     "gate-rules.yaml:9: rule 'fire-silence': unknown device 'fp-3'",
                     "gate-rules.yaml:10: rule 'fire-silence': unknown camera 'pb-1'"]


def test_an_inline_panel_rule_naming_a_missing_panel_is_a_problem_naming_the_rule(tmp_path):
    [found] = problems("""\
        rules:
          - {id: fire-silence, when: {categories: [fire]}, do: [{panel: {device: fp-9, command: silence}}]}
        """, tmp_path)
    assert found == "hub.yaml:14: rule 'fire-silence': unknown device 'fp-9'"


def test_campus_hub_check_reports_a_rule_file_naming_a_missing_device_with_what_would_be_right(tmp_path):
    import subprocess
    import sys

    (tmp_path / "gate-rules.yaml").write_text(textwrap.dedent(RULE_FILE_NAMING_MISSING_DEVICES))
    (tmp_path / "hub.yaml").write_text(BASE + "  rule_files: [gate-rules.yaml]\n")
    checked = subprocess.run([sys.executable, "-m", "hub.cli", "check", str(tmp_path / "hub.yaml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    rule_file = str(tmp_path / "gate-rules.yaml")
    assert lines == [
        f"{rule_file}:5:37: rules[0].do[0].snapshot.cameras[1]: rule 'gate-panic': unknown camera 'cam-gate-2'; "
        "expected one of the \"covering\" or ids of devices with kind: camera in hub.yaml: cam-1",
        f"{rule_file}:9:25: rules[1].do[0].panel.device: rule 'fire-silence': unknown device 'fp-3'; "
        "expected one of the ids under devices in hub.yaml: cam-1, pb-1",
        f"{rule_file}:10:32: rules[1].do[1].ptz_preset.cameras[0]: rule 'fire-silence': unknown camera 'pb-1'; "
        "expected one of the \"covering\" or ids of devices with kind: camera in hub.yaml: cam-1",
        f"{tmp_path / 'hub.yaml'}: 3 problems"]
