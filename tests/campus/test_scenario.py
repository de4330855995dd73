"""Campus scenario files: every mistake reported as file:line with what is wrong and what is expected;
the shipped scenarios load and are as big as the issue asks."""
from __future__ import annotations

import textwrap

import pytest

from simulators.campus.scenario import ScenarioError, load_scenario, load_scenario_text
from simulators.campus.vocabulary import FAMILY_OF_KIND

SCHOOL = """\
schools:
  - school_id: sch-1
    region_code: "140802"
    fire_panels:
      - {id: fire-a, building: A}
    cameras:
      - {id: "cam-{n}", count: 4}
    switches:
      - {id: sw-core, ports: 6}
    upses:
      - {id: ups-core}
    panic_buttons:
      - {id: panic-gate, account: "1001"}
    intrusion_panels:
      - {id: intrusion-b}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(textwrap.dedent(text), "campus.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_valid_school_expands_into_devices_with_sites_accounts_units_and_upstream_ports():
    plan = load_scenario_text(SCHOOL + "timeline:\n  - {at: 1, device: cam-4, do: tamper}\n", "campus.yaml")
    assert sorted(plan.devices) == ["cam-1", "cam-2", "cam-3", "cam-4", "fire-a", "intrusion-b", "panic-gate",
                                    "sw-core", "ups-core"]
    assert plan.count_by_family() == {"modbus": 1, "onvif": 4, "snmp": 2, "sia": 2}
    assert plan.devices["panic-gate"].account == "1001"
    assert plan.devices["intrusion-b"].account not in ("", "1001")
    # every non-switch device hangs off its own port of the school's switch, while ports last
    ports = [d.upstream for d in plan.devices.values() if d.kind != "switch"]
    assert ports == [("sw-core", n) for n in range(1, 7)] + [None, None]


def test_unknown_key_in_a_school_points_at_its_line_and_suggests_the_right_one():
    found = problems(SCHOOL.replace("    cameras:", "    camras:"))
    assert found == ["campus.yaml:6:5: schools[0].camras: unknown key 'camras' (did you mean 'cameras'?); "
                     "expected one of: fire_panels, cameras, switches, upses, panic_buttons, intrusion_panels, "
                     "school_id, region_code, name"]


def test_bad_region_code_and_bad_profile_are_reported_at_their_lines():
    text = SCHOOL.replace('"140802"', '"991234"').replace("{id: fire-a, building: A}",
                                                          "{id: fire-a, building: A, profile: no-such-panel}")
    found = problems(text)
    assert len(found) == 2
    assert found[0].startswith("campus.yaml:3:18: schools[0].region_code: province '99'")
    assert found[1].startswith("campus.yaml:5:44: schools[0].fire_panels[0].profile: no profile named "
                               "'no-such-panel' in ")
    assert found[1].endswith("config/profiles; expected one of: generic, notifier-gw, siemens-fc20; "
                             "or a path to a profile .yaml file")


def test_timeline_mistakes_each_get_their_line():
    text = SCHOOL + textwrap.dedent("""\
        timeline:
          - {at: 1, device: cam-9, do: tamper}
          - {at: 2, device: sw-core, do: fire, zone: 3}
          - {at: 3, device: cam-1, do: motion, zone: 3}
          - {at: 4, device: sw-core, do: port_down}
          - {at: -1, device: ups-core, do: mains_off}
          - {at: 5, device: panic-gate, do: sia, code: pa}
        """)
    found = problems(text)
    assert found == [
        "campus.yaml:17:21: timeline[0].device: no device 'cam-9' in this scenario (did you mean 'cam-4'?); "
        "expected the id of a device under schools: (generated ids carry their prefix)",
        "campus.yaml:18:34: timeline[1].do: a switch cannot 'fire'; expected one of: port_down, port_up, move_mac, "
        "forget_mac, reboot, silent, answer, answer_limit, error_after",
        "campus.yaml:19:40: timeline[2].zone: unknown key 'zone' (did you mean 'on'?); expected one of: active, "
        "source, topic, data, seconds, on, mode, delay",
        "campus.yaml:20:5: timeline[3]: 'port_down' needs port; expected port: ... in the step",
        "campus.yaml:21:10: timeline[4].at: invalid value -1; expected greater than or equal to 0",
        "campus.yaml:22:48: timeline[5].code: 'pa' is not a SIA DC-03 code; expected two capital letters such as "
        "PA, BA, FA",
    ]


def test_counted_devices_need_numbered_ids_and_ids_are_unique():
    text = SCHOOL.replace('{id: "cam-{n}", count: 4}', "{id: cam, count: 4}").replace(
        "{id: ups-core}", "{id: fire-a}")
    found = problems(text)
    assert found[0].startswith("campus.yaml:7:9: schools[0].cameras[0]: count is 4 but id 'cam' has no '{n}'")
    found = problems(SCHOOL.replace("{id: ups-core}", "{id: fire-a}"))
    assert found == ["campus.yaml:11:14: schools[0].upses[0].id: device id 'fire-a' is used twice; "
                     "expected ids unique over the whole scenario"]


def test_yaml_syntax_errors_and_duplicate_keys_come_from_the_hub_config_reader():
    assert problems("schools: [\n")[0].startswith("campus.yaml:1:11: YAML syntax error")
    found = problems(SCHOOL + "noise: {rate: 1}\nnoise: {rate: 2}\n")
    assert found == ["campus.yaml:17:1: noise: duplicate key 'noise' (first given on line 16); "
                     "expected each key once per mapping"]


def test_generated_schools_with_a_pattern_that_cannot_work_are_reported():
    text = textwrap.dedent("""\
        generate:
          - count: 3
            school_id: "sch-{number}"
            region_codes: ["140802"]
            template: {cameras: [{id: cam}]}
        """)
    found = problems(text)
    assert found[0].startswith("campus.yaml:3:16: generate[0].school_id: 'sch-{number}' is not a usable pattern")


def test_an_empty_scenario_says_what_it_needs():
    assert problems("name: nothing\n") == [
        "campus.yaml:1:1: the scenario has no devices; expected schools: (or generate:) with fire_panels, cameras, "
        "switches, upses, panic_buttons or intrusion_panels"]


def test_shipped_one_school_scenario_scripts_every_family():
    plan = load_scenario("one-school")
    assert len(plan.schools) == 1
    scripted = {plan.devices[step.device].family for step in plan.timeline}
    assert scripted == {"modbus", "onvif", "snmp", "sia"}
    assert {d.kind for d in plan.devices.values()} == set(FAMILY_OF_KIND)


def test_shipped_county_scenario_is_at_least_50_schools_and_2500_devices_in_four_families():
    plan = load_scenario("county")
    assert len(plan.schools) >= 50
    assert len(plan.devices) > 2500
    counts = plan.count_by_family()
    assert set(counts) == {"modbus", "onvif", "snmp", "sia"} and min(counts.values()) >= 100
    accounts = [d.account for d in plan.devices.values() if d.family == "sia"]
    assert len(set(accounts)) == len(accounts)
    assert len({d.school_id for d in plan.devices.values()}) == len(plan.schools)


def test_a_missing_scenario_file_names_the_shipped_ones(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(tmp_path / "nope.yaml"))
    assert "cannot read the scenario" in str(caught.value) and "county, one-school" in str(caught.value)


def test_history_mistakes_are_reported_at_their_lines():
    text = SCHOOL + textwrap.dedent("""\
        history:
          days: 14
          joined:
            - {device: cam-9, ago: 2d}
          removed:
            - {id: cam-1, kind: camera, school_id: sch-1, ago: 3d}
            - {id: cam-old, kind: camera, school_id: sch-2, ago: 3d}
          unrepaired:
            - {device: cam-2, fault: fire.fault, ago: 1d}
            - {device: fire-a, fault: power.on_battery, ago: 1d}
        """)
    found = problems(text)
    assert found == [
        "campus.yaml:19:16: history.joined[0].device: no device 'cam-9' in this scenario (did you mean 'cam-4'?); "
        "expected the id of a device of the scenario (generated ids carry their prefix)",
        "campus.yaml:21:12: history.removed[0].id: 'cam-1' is a device of the scenario, so it was not removed; "
        "expected the id of a device no longer there",
        "campus.yaml:22:46: history.removed[1].school_id: no school 'sch-2' in this scenario (did you mean "
        "'sch-1'?); expected a school_id of the scenario",
        "campus.yaml:24:30: history.unrepaired[0].fault: a camera cannot have 'fire.fault'; expected one of: offline",
        "campus.yaml:25:31: history.unrepaired[1].fault: a fire_panel cannot have 'power.on_battery'; expected one "
        "of: offline, fire.fault, fire.supervisory",
    ]
    beyond = problems(SCHOOL + "history: {days: 3, joined: [{device: cam-1, ago: 5d}]}\n")
    assert beyond == ["campus.yaml:16:1: history: joined[0]: ago is 5 days, beyond the 3 days of history; "
                      "expected an ago shorter than days: 3"]
