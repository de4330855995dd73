"""Configuration: the example validates, mistakes say what is expected, secrets stay secret."""
from __future__ import annotations

import pathlib
import re

import pydantic
import pytest
import yaml

import hub.config
from adapters.snmp.adapter import SnmpAdapter
from adapters.snmp.options import SnmpDeviceOptions, SnmpOptions
from adapters.snmp.ports import PHYSICAL_IF_TYPES
from simulators.snmp.scenario import load_scenario

EXAMPLE = pathlib.Path(__file__).parents[2] / "config" / "examples" / "snmp.yaml"


def test_example_config_validates():
    config = yaml.safe_load(EXAMPLE.read_text())
    for adapter in config["adapters"]:
        assert adapter["type"] == "snmp"
        SnmpAdapter.Options.model_validate(adapter["options"])
    for device in config["devices"]:
        SnmpAdapter.DeviceOptions.model_validate(device["options"])


@pytest.mark.parametrize("options, message", [
    ({"host": "10.0.0.1", "version": "v3"}, "version v3 needs user"),
    ({"host": "10.0.0.1", "engine_id": "xyz"}, "engine id must be hex"),
    ({"host": "10.0.0.1", "engine_id": "0x0102"}, "5..32 octets"),
    ({"host": "10.0.0.1", "trap_source": "gate-switch"}, "trap_source must be an IP address"),
    ({"host": "10.0.0.1", "poll_intervall": 5}, "poll_intervall"),
])
def test_device_option_mistakes_are_explained(options, message):
    with pytest.raises(pydantic.ValidationError, match=message):
        SnmpDeviceOptions.model_validate(options)


@pytest.mark.parametrize("options, message", [
    ({"users": [{"name": "u", "auth_key": "short"}]}, "at least 8 characters"),
    ({"users": [{"name": "u", "priv_key": "privpass123"}]}, "needs an auth_key"),
    ({"users": [{"name": "u"}, {"name": "u"}]}, "listed twice"),
    ({"trap_host": "localhost"}, "must be an IP address"),
])
def test_adapter_option_mistakes_are_explained(options, message):
    with pytest.raises(pydantic.ValidationError, match=message):
        SnmpOptions.model_validate(options)


def test_keys_and_communities_never_print():
    options = SnmpOptions.model_validate({"communities": ["s3cret-c"], "users": [
        {"name": "u", "auth_key": "s3cret-auth", "priv_key": "s3cret-priv"}]})
    device = SnmpDeviceOptions.model_validate({"host": "10.0.0.1", "community": "s3cret-d"})
    text = repr(options) + str(options) + repr(device) + str(device)
    assert "s3cret" not in text


def test_port_selection_options():
    default = SnmpDeviceOptions.model_validate({"host": "10.0.0.1"}).port_selection()
    assert (default.ports, default.if_types, default.admin_down) == (None, PHYSICAL_IF_TYPES, False)
    chosen = SnmpDeviceOptions.model_validate(
        {"host": "10.0.0.1", "watch_if_types": "all", "watch_admin_down": True}).port_selection()
    assert (chosen.if_types, chosen.admin_down) == (None, True)
    listed = SnmpDeviceOptions.model_validate({"host": "10.0.0.1", "watch_ports": [3, 10101]}).port_selection()
    assert listed.ports == frozenset({3, 10101})


SNMP_CONFIG = """\
hub: {id: test-hub}
sites: [{school_id: sch-1, region_code: "140802"}]
adapters: [{name: snmp-main, type: snmp, options: {trap_port: 0}}]
devices:
  - id: sw-1
    kind: switch
    adapter: snmp-main
    site: {school_id: sch-1}
    options:
      host: 10.20.0.2
      watch_if_types: [ethernet]
"""


@pytest.mark.parametrize("line, expected", [
    ("      watch_if_types: [ethernet]", "devices[0].options.watch_if_types"),
    ("      watch_if_types: every", "devices[0].options.watch_if_types"),
    ("      watch_admin_down: sometimes", "devices[0].options.watch_admin_down"),
    ("      watch_admin_donw: true", "unknown key 'watch_admin_donw' (did you mean 'watch_admin_down'?)"),
])
def test_port_selection_mistakes_are_reported_at_their_file_and_line(line, expected):
    text = SNMP_CONFIG.replace("      watch_if_types: [ethernet]", line)
    with pytest.raises(hub.config.ConfigError) as caught:
        hub.config.load_text(text, "hub.yaml", env={})
    assert [(p.file, p.line) for p in caught.value.problems] == [("hub.yaml", 11)]
    assert expected in str(caught.value)


DOCS = pathlib.Path(__file__).parents[2] / "docs"


def yaml_examples(path: pathlib.Path) -> list:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", path.read_text(), re.DOTALL)]


@pytest.mark.parametrize("doc", ["adapters/snmp.md", "integrator-guide.md"])
def test_snmp_device_examples_in_the_docs_validate(doc):
    devices = [device for example in yaml_examples(DOCS / doc) if isinstance(example, dict)
               for device in example.get("devices") or [] if isinstance(device, dict) and "host" in device.get("options", {})]
    assert devices, f"no SNMP device example in {doc}"
    for device in devices:
        SnmpDeviceOptions.model_validate(device["options"])


def test_snmp_simulator_scenario_example_in_the_docs_loads():
    [scenario] = [example for example in yaml_examples(DOCS / "adapters" / "snmp.md")
                  if isinstance(example, dict) and "steps" in example]
    load_scenario(yaml.safe_dump(scenario))
