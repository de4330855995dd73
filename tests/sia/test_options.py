"""Config validation: the example file is valid, mistakes get messages that say what is expected."""
from __future__ import annotations

import pathlib

import pytest
import yaml
from pydantic import ValidationError

from adapters.sia.options import SiaDeviceOptions, SiaOptions

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "config" / "examples" / "sia.yaml"


def test_example_config_is_valid():
    config = yaml.safe_load(EXAMPLE.read_text())
    for adapter in config["adapters"]:
        SiaOptions(**adapter["options"])
    accounts = [SiaDeviceOptions(**device["options"]).account for device in config["devices"]]
    assert len(accounts) == len(set(accounts))


@pytest.mark.parametrize("options, message", [
    ({"account": "12"}, "3-16 hex digits"),
    ({"account": "12G4"}, "3-16 hex digits"),
    ({"account": "1234", "key": "0123456789abcdef"}, "key_format is required"),
    ({"account": "1234", "key": "0123456789abcdef", "key_format": "hex"}, "32, 48 or 64 hex digits"),
    ({"account": "1234", "key": "x" * 16, "key_env": "K", "key_format": "ascii"}, "not both"),
    ({"account": "1234", "device_timezone": "Mars/Olympus"}, "unknown timezone"),
    ({"account": "1234", "supervision_s": 0}, "greater than 0"),
    ({"account": "1234", "colour": "red"}, "Extra inputs are not permitted"),
])
def test_device_option_mistakes(options, message):
    with pytest.raises(ValidationError, match=message) as info:
        SiaDeviceOptions(**options)
    assert "0123456789abcdef" not in str(info.value)  # keys never echoed into errors (logs)


def test_receiver_option_mistakes():
    with pytest.raises(ValidationError, match="cannot hear any panel"):
        SiaOptions(tcp_port=None, udp_port=None)
    with pytest.raises(ValidationError, match="less than or equal to 65535"):
        SiaOptions(tcp_port=70000)


def test_key_from_environment(monkeypatch):
    options = SiaDeviceOptions(account="1234", key_env="SIA_TEST_KEY", key_format="ascii")
    with pytest.raises(ValueError, match="SIA_TEST_KEY .* is not set"):
        options.resolve_key()
    monkeypatch.setenv("SIA_TEST_KEY", "short")
    with pytest.raises(ValueError, match="16, 24 or 32 characters"):
        options.resolve_key()
    monkeypatch.setenv("SIA_TEST_KEY", "campus-hub-key16")
    assert options.resolve_key() == b"campus-hub-key16"
    assert "campus-hub-key16" not in repr(SiaDeviceOptions(account="1234", key="campus-hub-key16", key_format="ascii"))


async def test_duplicate_accounts_are_a_clear_error():
    from adapters.sia.adapter import SiaAdapter
    from hub.spi.testing import RecordingContext

    from .helpers import panel

    ctx = RecordingContext("sia-test", [panel("a", "1234"), panel("b", "1234")])
    with pytest.raises(ValueError, match="both use SIA account 1234"):
        await SiaAdapter(ctx, SiaOptions(host="127.0.0.1", tcp_port=0)).run()
    ctx.close()
