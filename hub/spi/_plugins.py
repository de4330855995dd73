"""Adapter plugin discovery: entry points in group ``campushub.adapters``.

Only the adapter types a config actually uses are imported, so a broken or half-written plugin
only matters to configs that name it. Tests can register adapter classes without installing
entry points via :func:`override_adapter_classes`.
"""
from __future__ import annotations

import contextlib
import importlib.metadata
from collections.abc import Iterator, Mapping

import pydantic

from hub.spi._adapter import Adapter

__all__ = ["ADAPTER_GROUP", "PluginError", "adapter_types", "load_adapter_class", "override_adapter_classes"]

ADAPTER_GROUP = "campushub.adapters"

_overrides: dict[str, type[Adapter]] = {}


class PluginError(Exception):
    """An adapter type cannot be used. ``message`` says why, ``expected`` what would work."""

    def __init__(self, message: str, expected: str = "") -> None:
        super().__init__(f"{message}; expected {expected}" if expected else message)
        self.message = message
        self.expected = expected


def adapter_types() -> dict[str, importlib.metadata.EntryPoint]:
    """Installed adapter entry points by type name (not imported)."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ADAPTER_GROUP)}


def available_type_names() -> list[str]:
    return sorted(set(adapter_types()) | set(_overrides))


def load_adapter_class(type_name: str) -> type[Adapter]:
    """Import and return the adapter class registered as ``type_name``; raise :class:`PluginError`
    naming the installed types if it is unknown, or the module and reason if it fails to import."""
    if type_name in _overrides:
        return _overrides[type_name]
    entry_point = adapter_types().get(type_name)
    if entry_point is None:
        installed = ", ".join(available_type_names()) or "(none installed)"
        raise PluginError(f"unknown adapter type {type_name!r}", f"one of the installed types: {installed}")
    try:
        adapter_class = entry_point.load()
    except Exception as exc:  # any import-time failure of a plugin is reported, not raised
        raise PluginError(f"adapter type {type_name!r} ({entry_point.value}) failed to import: "
                          f"{type(exc).__name__}: {exc}",
                          "an importable adapter (is the plugin installed with its dependencies?)") from exc
    _check_adapter_class(type_name, entry_point.value, adapter_class)
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
