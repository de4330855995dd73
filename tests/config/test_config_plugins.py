"""hub.spi: adapter discovery by entry point, with clear errors."""
from __future__ import annotations

import importlib.metadata
import sys

import pytest

import hub.config
from hub.spi import _plugins as plugins
from hub.spi import ADAPTER_GROUP, PluginError, load_adapter_class

from sample_plugins import GoodAdapter


def entry_point(name: str, value: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=value, group=ADAPTER_GROUP)


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> dict[str, importlib.metadata.EntryPoint]:
    """Replace the installed adapter entry points with real EntryPoint objects of our own."""
    points = {
        "good": entry_point("good", "sample_plugins:GoodAdapter"),
        "broken": entry_point("broken", "broken_adapter_plugin:BrokenAdapter"),
        "notadapter": entry_point("notadapter", "sample_plugins:NotAnAdapter"),
    }
    real = plugins.installed_plugins
    monkeypatch.setattr(plugins, "installed_plugins", lambda kind: dict(points) if kind == "adapters" else real(kind))
    return points


def test_real_entry_points_are_listed_without_importing_them() -> None:
    types = plugins.adapter_types()
    assert {"sia", "modbus", "onvif", "snmp", "synthetic"} <= set(types)
    assert types["sia"].value == "adapters.sia.adapter:SiaAdapter"


def test_entry_point_loads_its_class(installed) -> None:
    assert load_adapter_class("good") is GoodAdapter


def test_unknown_type_lists_installed_ones(installed) -> None:
    with pytest.raises(PluginError) as caught:
        load_adapter_class("snmpp")
    assert caught.value.message == "unknown adapter type 'snmpp'"
    assert caught.value.expected == "one of the installed types: alpha, broken, good, notadapter, synthetic"


def test_import_failure_names_the_module_and_the_reason(installed) -> None:
    with pytest.raises(PluginError) as caught:
        load_adapter_class("broken")
    assert str(caught.value).startswith(
        "adapter type 'broken' (broken_adapter_plugin:BrokenAdapter) failed to import: "
        "ModuleNotFoundError: No module named 'campushub_no_such_dependency'")


def test_entry_point_that_is_not_an_adapter(installed) -> None:
    with pytest.raises(PluginError, match="is not a hub.spi.Adapter subclass"):
        load_adapter_class("notadapter")


def test_override_must_be_an_adapter() -> None:
    with pytest.raises(PluginError):
        with plugins.override_adapter_classes({"x": dict}):  # type: ignore[dict-item]
            pass


def test_config_imports_only_the_adapter_types_it_uses(installed) -> None:
    sys.modules.pop("broken_adapter_plugin", None)
    config = hub.config.load_text("hub: {id: test-hub}\nadapters: [{name: g, type: good, options: {interval: 0.5}}]\n",
                                  "hub.yaml", env={})
    assert config.adapter_options("g").interval == 0.5
    assert "broken_adapter_plugin" not in sys.modules


def test_config_reports_a_failing_plugin_on_each_type_line(installed) -> None:
    text = "hub: {id: test-hub}\nadapters:\n  - {name: a, type: broken}\n  - {name: b, type: good}\n  - {name: c, type: broken}\n"
    with pytest.raises(hub.config.ConfigError) as caught:
        hub.config.load_text(text, "hub.yaml", env={})
    assert [(p.line, p.path) for p in caught.value.problems] == [(3, "adapters[0].type"), (5, "adapters[2].type")]
    assert "No module named 'campushub_no_such_dependency'" in caught.value.problems[0].message


def test_one_loader_lists_and_loads_every_kind_of_plugin() -> None:
    from adapters.onvif.discovery_cli import configure as discover_onvif
    from simulators.sia.cli import configure as simulate_sia

    assert set(plugins.installed_plugins("simulators")) >= {"sia", "fire-panel", "camera", "snmp"}
    assert plugins.load_plugin("simulators", "sia") is simulate_sia
    assert plugins.load_plugin("discover", "onvif") is discover_onvif
    with pytest.raises(PluginError) as caught:
        plugins.load_plugin("simulators", "siaa")
    assert caught.value.message == "unknown simulator 'siaa'"
    assert caught.value.expected.startswith("one of the installed simulators: camera, fire-panel, sia")
    with pytest.raises(ValueError, match="no plugin kind 'simulator'"):
        plugins.installed_plugins("simulator")
