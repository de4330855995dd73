"""The simulated campus itself (no hub): timeline steps change the right simulator's device, and a
switch port going down cuts off exactly the devices behind it."""
from __future__ import annotations

import socket

from simulators.campus.campus import SimulatedCampus
from simulators.campus.scenario import TimelineStep, load_scenario_text
from simulators.campus.timeline import free_port

SCENARIO = """\
schools:
  - school_id: sch-140802-001
    region_code: "140802"
    fire_panels: [{id: fire-a}]
    cameras: [{id: "cam-{n}", count: 2}]
    upses: [{id: ups-core}]
    switches: [{id: sw-core, ports: 8}]
    panic_buttons: [{id: panic-gate}]
"""


async def start_campus() -> SimulatedCampus:
    plan = load_scenario_text(SCENARIO, "campus.yaml")
    return await SimulatedCampus.start(plan, sia_port=free_port(), trap_port=free_port(socket.SOCK_DGRAM))


async def test_steps_change_the_devices_of_each_simulator():
    campus = await start_campus()
    try:
        said = await campus.apply(TimelineStep(at=0, device="fire-a", do="fire", zone=3))
        assert "fire.alarm raised at zone 3" in said
        assert any(event.startswith("fire.alarm") and "'zone': '3'" in event
                   for event in campus.fire.panel("fire-a").active_events())
        await campus.apply(TimelineStep(at=0, device="cam-2", do="tamper"))
        tamper = [n for (topic, _), n in campus.cameras["cam-2"].camera.properties.items() if "Tamper" in topic]
        assert tamper and dict(tamper[0].data)["IsTamper"] == "true"
        untouched = campus.cameras["cam-1"].camera.properties.values()  # every property still at its initial state
        assert untouched and all(dict(n.data).popitem()[1] in ("false", "inactive") for n in untouched)
        assert "on battery" in await campus.apply(TimelineStep(at=0, device="ups-core", do="mains_off"))
        assert not campus.snmp.devices["ups-core"].ups.on_mains
    finally:
        await campus.stop()


async def test_a_port_going_down_cuts_off_the_devices_behind_it_until_it_comes_back():
    campus = await start_campus()
    try:
        upstream = {d.id: d.upstream for d in campus.plan.devices.values()}
        assert upstream == {"fire-a": ("sw-core", 1), "cam-1": ("sw-core", 2), "cam-2": ("sw-core", 3),
                            "ups-core": ("sw-core", 4), "sw-core": None, "panic-gate": ("sw-core", 5)}
        said = await campus.apply(TimelineStep(at=0, device="sw-core", do="port_down", port=2))
        assert said == "port 2 down (linkDown trap); cut off: cam-1"
        assert campus.cameras["cam-1"].camera.link_cut and not campus.cameras["cam-2"].camera.link_cut
        await campus.apply(TimelineStep(at=0, device="sw-core", do="port_down", port=4))
        await campus.apply(TimelineStep(at=0, device="sw-core", do="port_down", port=5))
        assert campus.snmp.devices["ups-core"].silent
        assert not campus.transmitters["panic-gate"].linked.is_set()
        await campus.apply(TimelineStep(at=0, device="sw-core", do="port_down", port=1))
        assert not campus.fire.endpoints[0].answering
        for port in (1, 2, 4, 5):
            assert "back: " in await campus.apply(TimelineStep(at=0, device="sw-core", do="port_up", port=port))
        assert not campus.cameras["cam-1"].camera.link_cut and not campus.snmp.devices["ups-core"].silent
        assert campus.transmitters["panic-gate"].linked.is_set() and campus.fire.endpoints[0].answering
        assert campus.snmp.traps_sent == 8  # every change was trapped to the hub's trap port
    finally:
        await campus.stop()


async def play_noise(campus: SimulatedCampus, config, seconds: float):
    """Play background noise on ``campus`` for ``seconds``, then stop the campus; return the Noise."""
    import asyncio

    from simulators.campus.noise import Noise

    noise = Noise(campus, config)
    task = asyncio.ensure_future(noise.run())
    try:
        await asyncio.sleep(seconds)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await campus.stop()
    return noise


async def test_background_noise_plays_each_kind_at_about_the_rate_and_leaves_campus_devices_connected():
    from simulators.campus.scenario import NoiseConfig

    campus = await start_campus()
    seen: list[tuple[str, str, str]] = []
    campus.observe = lambda device, type_, state, at: seen.append((device, type_, state))
    cut_off: list[str] = []
    set_link = campus._set_link
    campus._set_link = lambda *args: cut_off.extend(set_link(*args)) or []
    noise = await play_noise(campus, NoiseConfig(rate=40, kinds={"motion": 1, "port_flap": 1, "prealarm": 1}, seed=7),
                             seconds=2.0)
    assert set(noise.played) == {"motion", "port_flap", "prealarm"} and not noise.failed
    assert 20 <= sum(noise.played.values()) + noise.skipped + len(noise._pending) <= 160
    kinds = {(type_, state) for _, type_, state in seen}
    assert {("video.motion", "raised"), ("video.motion", "cleared"), ("network.link_down", "raised"),
            ("fire.prealarm", "raised")} <= kinds
    assert cut_off == []  # flapped ports are the ones without a campus device behind them


async def test_port_flap_noise_never_cuts_a_campus_device_off_even_when_a_switch_is_full():
    from simulators.campus.scenario import NoiseConfig

    # Five devices fill sw-core's five ports; sw-access has only classroom ports.
    plan = load_scenario_text(SCENARIO.replace("switches: [{id: sw-core, ports: 8}]",
                                               "switches: [{id: sw-core, ports: 5}, {id: sw-access, ports: 4}]"),
                              "campus.yaml")
    assert {d.upstream for d in plan.devices.values() if d.upstream} == {("sw-core", p) for p in range(1, 6)}
    campus = await SimulatedCampus.start(plan, sia_port=free_port(), trap_port=free_port(socket.SOCK_DGRAM))
    flapped: list[tuple[str, int]] = []
    campus.observe = lambda device, type_, state, at: None
    apply = campus.apply

    async def recording_apply(step):
        if step.do == "port_down":
            flapped.append((step.device, step.params["port"]))
        return await apply(step)

    campus.apply = recording_apply
    noise = await play_noise(campus, NoiseConfig(rate=50, kinds={"port_flap": 1}, seed=3), seconds=1.0)
    assert flapped and not noise.failed
    assert {switch for switch, _ in flapped} == {"sw-access"}
