"""``campus-hub discover onvif`` against simulated cameras answering WS-Discovery on loopback."""
from __future__ import annotations

import argparse

import yaml

from adapters.onvif.discovery_cli import configure
from adapters.onvif.options import CameraOptions
from simulators.camera.simulator import CameraSimulator


async def test_discover_prints_device_snippets_the_adapter_accepts(capsys, monkeypatch):
    sim = await CameraSimulator.start(3, discovery_port=0)
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args([f"127.0.0.1:{sim.discovery_port.getHost().port}", "--timeout", "0.3",
                              "--school-id", "sch-140802-001"])
    try:
        assert await args.main(args) == 0
    finally:
        await sim.stop()
    output = capsys.readouterr().out
    assert output.startswith("# 3 ONVIF device(s) answered")
    devices = yaml.safe_load(output)["devices"]
    assert sorted(d["id"] for d in devices) == ["cam-1", "cam-2", "cam-3"]
    monkeypatch.setenv("ONVIF_PASSWORD", "admin")
    for device in devices:
        options = CameraOptions(**device["options"])
        assert options.host == "127.0.0.1" and device["site"] == {"school_id": "sch-140802-001"}


async def test_nothing_to_probe_is_a_usage_error(capsys):
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args([])
    assert await args.main(args) == 2
    assert "--multicast" in capsys.readouterr().err


async def test_silence_means_no_devices(capsys):
    parser = argparse.ArgumentParser()
    configure(parser)
    sim = await CameraSimulator.start(1, discovery_port=0)
    port = sim.discovery_port.getHost().port
    sim["cam-1"].camera.set_silent(True)  # silent cameras do not answer probes either
    try:
        args = parser.parse_args([f"127.0.0.1:{port}", "--timeout", "0.2"])
        assert await args.main(args) == 1
    finally:
        await sim.stop()
    assert "# 0 ONVIF device(s)" in capsys.readouterr().out


def test_example_config_and_scenario_are_valid(monkeypatch):
    from adapters.onvif.options import OnvifOptions
    from simulators.camera.scenario import load_scenario

    monkeypatch.setenv("ONVIF_PASSWORD", "admin")
    with open("config/examples/onvif.yaml", encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    OnvifOptions(**config["adapters"][0]["options"])
    assert [CameraOptions(**d["options"]).port for d in config["devices"]] == [8080, 8081, 8082]
    assert len(load_scenario("config/examples/camera-scenario.yaml")) == 15
