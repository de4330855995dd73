"""Configuration: the example validates, mistakes say what is expected, secrets stay secret."""
from __future__ import annotations

import pathlib

import pydantic
import pytest
import yaml

from adapters.snmp.adapter import SnmpAdapter
from adapters.snmp.options import SnmpDeviceOptions, SnmpOptions

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
