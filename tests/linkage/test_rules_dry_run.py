"""``campus-hub rules test`` replays a real journal through candidate rules and prints what each
would do, touching no device; a bad rules file is reported at its file:line."""
from __future__ import annotations

import asyncio
import sys
import textwrap

from hub.events import Category, Severity, State, new_event
from tests.linkage.helpers import linkage_hub, other_device, panic

HUB_YAML = """\
hub: {id: dry-run-hub}
journal: {path: journal.db}
sites:
  - {school_id: sch-1, region_code: "140802"}
adapters:
  - {name: synth, type: synthetic}
devices:
  - {id: cam-gate, kind: camera, adapter: synth, site: {school_id: sch-1, zone: gate}}
  - {id: pb-1, kind: panic_button, adapter: synth, site: {school_id: sch-1, zone: gate}}
linkage:
  time_zone: UTC
  coverage: [{camera: cam-gate, sites: [{zone: gate, preset: "2"}]}]
"""

RULES = """\
rules:
  - id: gate-snap
    when: {categories: [panic]}
    do: [{snapshot: {}}, {ptz_preset: {}}]
  - id: only-fire
    when: {categories: [fire]}
    do: [{snapshot: {}}]
"""


async def _cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_the_dry_run_prints_what_each_rule_would_have_done(tmp_path):
    async with linkage_hub(tmp_path, [other_device("pb-1", "panic_button", zone="gate"),
                                      other_device("cam-gate", "camera", zone="gate")], {}) as hub:
        await hub.submit(panic(), "test")
        await hub.submit(new_event(device_id="pb-1", type="system.test", category=Category.CATEGORY_SYSTEM,
                                   severity=Severity.SEVERITY_INFO, state=State.STATE_MOMENTARY), "test")
    (tmp_path / "hub.yaml").write_text(HUB_YAML)
    (tmp_path / "rules.yaml").write_text(RULES)
    code, out, err = await _cli("rules", "test", str(tmp_path / "rules.yaml"), "--config", str(tmp_path / "hub.yaml"),
                                "--from", "2000-01-01T00:00", "--to", "2100-01-01T00:00")
    assert code == 0, err
    lines = out.splitlines()
    assert any("gate-snap: snapshot cam-gate done: take a snapshot from cam-gate" in line for line in lines), out
    assert any("gate-snap: ptz_preset cam-gate done: turn cam-gate to preset 2" in line for line in lines), out
    assert not any("only-fire" in line for line in lines)
    assert lines[-1].startswith("2 events replayed, 2 actions would have run")


async def test_a_bad_rules_file_is_reported_at_its_line(tmp_path):
    (tmp_path / "hub.yaml").write_text(HUB_YAML)
    (tmp_path / "rules.yaml").write_text(textwrap.dedent("""\
        rules:
          - id: typo
            when: {}
            condition: event.sevrity > 2
            do: [{snapshot: {}}]
        """))
    code, out, err = await _cli("rules", "test", str(tmp_path / "rules.yaml"), "--config", str(tmp_path / "hub.yaml"))
    assert code == 2 and "rules.yaml:4" in err and "sevrity" in err


async def test_candidate_rules_naming_a_device_the_config_lacks_are_refused_naming_file_rule_and_device(tmp_path):
    (tmp_path / "hub.yaml").write_text(HUB_YAML)
    (tmp_path / "rules.yaml").write_text(textwrap.dedent("""\
        rules:
          - id: gate-snap
            when: {categories: [panic]}
            do: [{snapshot: {cameras: [cam-gate-2]}}, {panel: {device: fp-3, command: silence}}]
        """))
    code, out, err = await _cli("rules", "test", str(tmp_path / "rules.yaml"), "--config", str(tmp_path / "hub.yaml"))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"{tmp_path / 'rules.yaml'}:4:32: rules[0].do[0].snapshot.cameras[0]: rule 'gate-snap': unknown camera "
        "'cam-gate-2'; expected one of the \"covering\" or ids of devices with kind: camera in hub.yaml: cam-gate",
        f"{tmp_path / 'rules.yaml'}:4:64: rules[0].do[1].panel.device: rule 'gate-snap': unknown device 'fp-3'; "
        "expected one of the ids under devices in hub.yaml: cam-gate, pb-1"]
