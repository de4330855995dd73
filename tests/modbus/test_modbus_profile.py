"""Profile loading: shipped profiles are valid, and mistakes are reported at file:line."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.modbus.profile import DEFAULT_PROFILE_DIR, ProfileError, Table, load_profile, parse_profile
from hub.config.check import run_check

PROFILES = sorted((Path(__file__).parents[2] / "config" / "profiles").glob("*.yaml"))

GOOD = """\
profile: t
blocks:
  - {name: a, start: 0, count: 10}
signals:
  - name: panel
    address: 0
    bits: {0: {event: fire.alarm}}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ProfileError) as info:
        parse_profile(text, "p.yaml")
    return [str(p) for p in info.value.problems]


def test_shipped_profiles_cover_the_issue():
    assert {p.stem for p in PROFILES} >= {"generic", "notifier-gw", "siemens-fc20"}


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_shipped_profiles_load(path):
    profile = load_profile(path)
    assert profile.profile == path.stem
    events = {cond.event for s in profile.signals for cond in (s.bits or s.enum or {}).values()}
    assert "fire.alarm" in events


def test_good_profile_expands_zones_and_loops():
    profile = parse_profile(GOOD + """\
  - name: zone
    scope: zone
    address: 2
    repeat: 3
    first: 1
    enum: {1: {event: fire.alarm}}
  - name: point
    scope: point
    address: 5
    repeat: 4
    loop_size: 2
    bits: {3: {event: fire.fault}}
""")
    labels = [dict(i.labels) for i in profile.instances()]
    assert labels[1:4] == [{"zone": "1"}, {"zone": "2"}, {"zone": "3"}]
    assert labels[4:] == [{"loop": "1", "point": "1"}, {"loop": "1", "point": "2"},
                          {"loop": "2", "point": "1"}, {"loop": "2", "point": "2"}]


def test_misspelt_key_is_reported_at_its_line():
    assert problems_of(GOOD.replace("count: 10}", "count: 10, intervall: 2}")) == [
        "p.yaml:3:36: blocks[0].intervall: unknown key 'intervall' (did you mean 'interval'?); "
        "expected one of: name, table, start, count, interval"
    ]


def test_yaml_syntax_error_and_duplicate_keys():
    # The stream ends on line 2, but the mistake is on line 1 (the last line there is).
    assert problems_of("profile: [unclosed\n")[0].startswith("p.yaml:1:19: YAML syntax error")
    assert problems_of(GOOD + "profile: again\n") == [
        "p.yaml:8:1: profile: duplicate key 'profile' (first given on line 1); expected each key once per mapping"]


def test_empty_or_non_mapping_profile():
    assert problems_of("# nothing\n") == [
        "p.yaml:1:1: the file is empty; expected a mapping with keys: profile, description, vendor, blocks, signals, commands"]
    assert problems_of("- a\n")[0].startswith("p.yaml:1:1: is a list, not a mapping")


def test_out_of_range_registers():
    found = problems_of(GOOD.replace("start: 0, count: 10", "start: 65530, count: 10")
                        .replace("address: 0", "address: 65535\n    scope: zone\n    repeat: 2"))
    assert any("p.yaml:3:" in p and "past the last Modbus address 65535" in p for p in found)
    assert any("p.yaml:5:" in p and "past the last Modbus address 65535" in p for p in found)


def test_bit_out_of_range_and_bad_severity():
    found = problems_of(GOOD.replace("{0: {event: fire.alarm}}", "{16: {event: fire.alarm, severity: huge}}"))
    assert "p.yaml:7:12: signals[0].bits['16']: invalid value '16'; expected less than or equal to 15" in found
    assert any(p.startswith("p.yaml:7:") and "severity must be one of" in p for p in found)


def test_overlapping_signals_and_blocks():
    text = GOOD + """\
  - name: zone
    scope: zone
    address: 0
    repeat: 2
    bits: {0: {event: fire.fault}}
  - name: other_bits
    address: 0
    bits: {1: {event: fire.fault}}
""" + "  - {name: b, start: 5, count: 10}\n"
    text = text.replace("  - {name: b, start: 5, count: 10}\n", "").replace(
        "  - {name: a, start: 0, count: 10}\n", "  - {name: a, start: 0, count: 10}\n  - {name: b, start: 5, count: 10}\n")
    found = problems_of(text)
    assert ("p.yaml:4:5: blocks[1]: block 'b' overlaps block 'a' (line 3) in the holding table; "
            "expected blocks that do not share addresses (merge them or move one)") in found
    assert ("p.yaml:9:5: signals[1]: signal 'zone' overlaps signal 'panel' (line 6) at holding address 0; "
            "expected signals that read different addresses, or different bits of one word") in found
    # Different bits of one word are fine.
    assert not any("other_bits" in p for p in found)


def test_signal_outside_every_block():
    found = problems_of(GOOD.replace("address: 0", "address: 10"))
    assert found == ["p.yaml:5:5: signals[0]: signal 'panel' reads holding address 10, which no block polls; "
                     "expected a block under blocks: that covers the signal's addresses"]


def test_unknown_category_needs_explicit_one():
    found = problems_of(GOOD.replace("event: fire.alarm", "event: panel.weird"))
    assert "set 'category:' explicitly" in found[0] and found[0].startswith("p.yaml:7:")
    profile = parse_profile(GOOD.replace("event: fire.alarm", "event: panel.weird, category: device"))
    assert profile.signals[0].bits[0].category == "device"


def test_bit_tables_take_bit_zero_only():
    found = problems_of(GOOD.replace("{name: a,", "{name: a, table: coil,").replace(
        "    address: 0\n", "    table: coil\n    address: 0\n").replace("{0: {", "{3: {"))
    assert any("one bit per address" in p for p in found)
    ok = parse_profile(GOOD.replace("{name: a,", "{name: a, table: coil,").replace(
        "    address: 0\n", "    table: coil\n    address: 0\n"))
    assert ok.signals[0].table is Table.coil


def test_unreadable_file(tmp_path):
    with pytest.raises(ProfileError, match="cannot read profile"):
        load_profile(tmp_path / "missing.yaml")


def test_hub_check_reports_a_broken_profile_at_its_own_lines(tmp_path):
    profile = tmp_path / "my-panel.yaml"
    profile.write_text(GOOD.replace("count: 10}", "count: 10, intervall: 2}"))
    config = tmp_path / "hub.yaml"
    device = "  - id: {id}\n    kind: fire_panel\n    adapter: fire\n    site: {{school_id: sch-1}}\n" \
             "    options: {{host: 10.0.0.1, profile: {profile}}}\n"
    config.write_text('hub: {id: test-hub}\nsites: [{school_id: sch-1, region_code: "140802"}]\n'
                      "adapters: [{name: fire, type: modbus}]\ndevices:\n"
                      + device.format(id="fp-1", profile=profile) + device.format(id="fp-2", profile="nope")
                      + device.format(id="fp-3", profile=profile))
    out = io.StringIO()
    assert run_check(str(config), out) == 1
    assert out.getvalue().splitlines() == [
        f"{config}:9:40: devices[0].options.profile: {profile} does not load: see the 1 problem reported for it; "
        "expected a file without problems",
        f"{config}:14:40: devices[1].options.profile: no profile named 'nope' in {DEFAULT_PROFILE_DIR}; "
        "expected one of: generic, notifier-gw, siemens-fc20; or a path to a profile .yaml file",
        f"{config}:19:40: devices[2].options.profile: {profile} does not load: see the 1 problem reported for it; "
        "expected a file without problems",
        # Reported once although two devices name the profile.
        f"{profile}:3:36: blocks[0].intervall: unknown key 'intervall' (did you mean 'interval'?); "
        "expected one of: name, table, start, count, interval",
        f"{config}: 4 problems",
    ]
