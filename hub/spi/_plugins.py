"""Plugin discovery: entry points in the groups ``campushub.<kind>`` (adapters, simulators,
discover, uplinks), listed and loaded by one pair of functions.

Only the plugins actually used are imported, so a broken or half-written plugin only matters to
whoever names it. Tests can register adapter classes without installing entry points via
:func:`override_adapter_classes`.
"""
from __future__ import annotations

import contextlib
import importlib.metadata
from collections.abc import Iterable, Iterator, Mapping

import pydantic

from hub.spi._adapter import Adapter

__all__ = ["ADAPTER_GROUP", "PLUGIN_KINDS", "PluginError", "adapter_types", "available_type_names",
           "installed_plugins", "load_adapter_class", "load_plugin", "load_uplink_class",
           "override_adapter_classes"]

#: Each kind of plugin (its entry point group is ``campushub.<kind>``) and what one is called in errors.
PLUGIN_KINDS = {"adapters": "adapter type", "simulators": "simulator", "discover": "discovery tool",
                "uplinks": "uplink"}

ADAPTER_GROUP = "campushub.adapters"

_overrides: dict[str, type[Adapter]] = {}


class PluginError(Exception):
    """A plugin cannot be used. ``message`` says why, ``expected`` what would work."""

    def __init__(self, message: str, expected: str = "") -> None:
        super().__init__(f"{message}; expected {expected}" if expected else message)
        self.message = message
        self.expected = expected


def installed_plugins(kind: str) -> dict[str, importlib.metadata.EntryPoint]:
    """The installed entry points of one kind of plugin (see PLUGIN_KINDS) by name, not imported."""
    if kind not in PLUGIN_KINDS:
        raise ValueError(f"no plugin kind {kind!r}; the kinds are {', '.join(PLUGIN_KINDS)}")
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=f"campushub.{kind}")}


def load_plugin(kind: str, name: str, *, also_known: Iterable[str] = ()) -> object:
    """Import and return the plugin of ``kind`` registered as ``name``; raise :class:`PluginError`
    naming the installed ones (and ``also_known``) if it is unknown, or the module and reason if
    it fails to import."""
    installed = installed_plugins(kind)
    noun = PLUGIN_KINDS[kind]
    entry_point = installed.get(name)
    if entry_point is None:
        names = ", ".join(sorted(set(installed) | set(also_known))) or "(none installed)"
        plural = "types" if noun.endswith(" type") else f"{noun}s"
        raise PluginError(f"unknown {noun} {name!r}", f"one of the installed {plural}: {names}")
    try:
        return entry_point.load()
    except Exception as exc:  # any import-time failure of a plugin is reported, not raised
        raise PluginError(f"{noun} {name!r} ({entry_point.value}) failed to import: {type(exc).__name__}: {exc}",
                          f"an importable {noun.removesuffix(' type')} (is the plugin installed with its "
                          "dependencies?)") from exc


def adapter_types() -> dict[str, importlib.metadata.EntryPoint]:
    """Installed adapter entry points by type name (not imported)."""
    return installed_plugins("adapters")


def available_type_names() -> list[str]:
    return sorted(set(adapter_types()) | set(_overrides))


def load_adapter_class(type_name: str) -> type[Adapter]:
    """Import and return the adapter class registered as ``type_name`` (see :func:`load_plugin`)."""
    if type_name in _overrides:
        return _overrides[type_name]
    adapter_class = load_plugin("adapters", type_name, also_known=_overrides)
    _check_adapter_class(type_name, adapter_types()[type_name].value, adapter_class)
    return adapter_class


def _check_adapter_class(type_name: str, where: str, adapter_class: object) -> None:
    if not (isinstance(adapter_class, type) and issubclass(adapter_class, Adapter)):
        raise PluginError(f"adapter type {type_name!r} ({where}) is not a hub.spi.Adapter subclass",
                          "an entry point naming an Adapter subclass")
    for attribute in ("Options", "DeviceOptions"):
        model = getattr(adapter_class, attribute, None)
        if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
            raise PluginError(f"adapter type {type_name!r} ({where}) has no pydantic {attribute} model",
                              f"{attribute} = a pydantic.BaseModel subclass")


def load_uplink_class(type_name: str) -> type:
    """Import and return the uplink class registered as ``type_name`` in ``campushub.uplinks``
    (see :func:`load_plugin`); PluginError unless it is a hub.spi.Uplink with a pydantic Options."""
    from hub.spi._uplink import Uplink

    uplink_class = load_plugin("uplinks", type_name)
    where = installed_plugins("uplinks")[type_name].value
    if not (isinstance(uplink_class, type) and issubclass(uplink_class, Uplink)):
        raise PluginError(f"uplink {type_name!r} ({where}) is not a hub.spi.Uplink subclass",
                          "an entry point naming an Uplink subclass")
    model = getattr(uplink_class, "Options", None)
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        raise PluginError(f"uplink {type_name!r} ({where}) has no pydantic Options model",
                          "Options = a pydantic.BaseModel subclass")
    return uplink_class


@contextlib.contextmanager
def override_adapter_classes(classes: Mapping[str, type[Adapter]]) -> Iterator[None]:
    """Within the block, ``load_adapter_class(name)`` returns ``classes[name]`` ahead of any entry
    point (for tests and embedding; not thread-safe)."""
    for type_name, adapter_class in classes.items():
        _check_adapter_class(type_name, "override", adapter_class)
    saved = dict(_overrides)
    _overrides.update(classes)
    try:
        yield
    finally:
        _overrides.clear()
        _overrides.update(saved)
