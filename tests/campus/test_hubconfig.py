"""The hub config `campus-hub simulate` writes: it loads with the hub's own loader, points at the
running simulators, and keeps its secrets out of the file."""
from __future__ import annotations

import pathlib
import socket
import stat

from hub import config as hub_config
from simulators.campus.campus import SimulatedCampus
from simulators.campus.hubconfig import HubOptions, hub_id_of, write_hub_config
from simulators.campus.scenario import load_scenario, load_scenario_text
from simulators.campus.timeline import free_port

# Accounts that YAML 1.2 reads as numbers unless quoted (13E0 is the float 130.0).
SCENARIO = """\
schools:
  - school_id: sch-140802-001
    region_code: "140802"
    fire_panels: [{id: fire-a, profile: siemens-fc20, framer: rtu-over-tcp}]
    cameras: [{id: cam-1}]
    switches: [{id: sw-core, ports: 8}]
    upses: [{id: ups-core}]
    panic_buttons: [{id: panic-gate, account: "13E0"}]
    intrusion_panels: [{id: intrusion-b, account: "1E10"}]
"""


async def test_written_config_loads_points_at_the_simulators_and_hides_secrets(tmp_path):
    plan = load_scenario_text(SCENARIO, "campus.yaml")
    campus = await SimulatedCampus.start(plan, sia_port=free_port(), trap_port=free_port(socket.SOCK_DGRAM))
    try:
        path = tmp_path / "hub.yaml"
        token = write_hub_config(campus, path, HubOptions("127.0.0.1:0", None, "./journal.db"))
        config = hub_config.load(path)  # raises ConfigError listing every problem
        assert config.hub.id == "sim-campus-sch-140802-001"  # the file's stem and its one school
        options = {d.id: d.options for d in config.devices}
        assert options["panic-gate"].account == "13E0" and options["intrusion-b"].account == "1E10"
        assert options["fire-a"].port == campus.fire.port_of("fire-a") and options["fire-a"].framer == "rtu-over-tcp"
        assert options["fire-a"].profile == "siemens-fc20"
        assert options["cam-1"].port == campus.cameras["cam-1"].http_port
        assert options["cam-1"].resolve_password() == campus.camera_password
        assert (options["sw-core"].host, options["sw-core"].port) == (campus.snmp.devices["sw-core"].address,
                                                                      campus.snmp.port)
        assert options["ups-core"].ups and not options["ups-core"].interfaces
        assert options["panic-gate"].resolve_key() == bytes.fromhex(campus.sia_key_hex)
        adapters = {a.type: a.options for a in config.adapters}
        assert adapters["sia"].tcp_port == campus.sia_port and adapters["snmp"].trap_port == campus.trap_port
        assert {d.id: d.upstream.port for d in config.devices if d.upstream} == {
            "fire-a": 1, "cam-1": 2, "ups-core": 3, "panic-gate": 4, "intrusion-b": 5}
        assert config.subscribers[0].scope.all_regions and config.subscribers[0].role == "supervisor"
        panic, *_ = config.alarms.alarm_classes()  # a newcomer sees alarms: the panic button latches
        assert (panic.name, panic.priority, panic.latch, [s.to for s in panic.escalation]) == (
            "panic", 1, True, ["county", "city"])
        # a camera covers its own place: an alarm there turns it and takes its snapshot
        assert [(c.camera, c.sites[0].school_id) for c in config.linkage.coverage] == [("cam-1", "sch-140802-001")]
        assert [rule.id for rule in config.linkage.rules] == ["panic-look", "fire-look"]
        text = path.read_text()
        for secret in (campus.camera_password, campus.sia_key_hex, token):
            assert secret not in text
        for secret_file in (tmp_path / "hub.secrets").iterdir():
            assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    finally:
        await campus.stop()


def test_credentials_are_kept_beside_the_config_and_reused_when_the_simulator_restarts(tmp_path):
    from simulators.campus.credentials import Credentials

    first = Credentials.load_or_create(tmp_path / "hub.secrets")
    again = Credentials.load_or_create(tmp_path / "hub.secrets")
    assert again == first
    assert (tmp_path / "hub.secrets/subscriber.sha256").read_text().strip() == first.token_sha256
    assert Credentials.load_or_create(tmp_path / "other.secrets") != first


SCENARIOS = pathlib.Path(__file__).resolve().parents[2] / "config" / "scenarios"


def test_each_shipped_scenario_gets_its_own_hub_id():
    """hub.id is unique per deployment: the configs written for different scenarios never share one."""
    ids = {path.name: hub_id_of(load_scenario(str(path))) for path in sorted(SCENARIOS.glob("*.yaml"))}
    assert ids == {"county.yaml": "sim-county", "one-school.yaml": "sim-one-school-sch-140802-001"}
    one_school = load_scenario("one-school")
    other_school = load_scenario_text((SCENARIOS / "one-school.yaml").read_text().replace(
        "sch-140802-001", "sch-140802-002"), "one-school.yaml")
    assert hub_id_of(one_school) != hub_id_of(other_school)
