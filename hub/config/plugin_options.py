"""Checking ``adapters[].options`` and ``devices[].options`` with each adapter type's own
pydantic models (``Adapter.Options`` and ``Adapter.DeviceOptions``).

Only the adapter types the config names are imported; a type that is unknown or fails to import
is one problem on its ``type:`` line, and its devices' options are then left unchecked.
"""
from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Mapping
from typing import Any

import pydantic

from hub import spi
from hub.config.errors import validation_problems
from hub.config.problems import Path, Problem
from hub.config.references import entries, text_value
from hub.config.source import Document

__all__ = ["PluginOptions", "check_plugin_options"]


@dataclasses.dataclass
class PluginOptions:
    """Validated options by entry index, and every problem found."""

    adapters: dict[int, pydantic.BaseModel] = dataclasses.field(default_factory=dict)
    devices: dict[int, pydantic.BaseModel] = dataclasses.field(default_factory=dict)
    uplinks: dict[int, pydantic.BaseModel] = dataclasses.field(default_factory=dict)
    problems: list[Problem] = dataclasses.field(default_factory=list)


def check_plugin_options(doc: Document, substituted: Mapping[Path, str], base_dir: pathlib.Path) -> PluginOptions:
    result = PluginOptions()
    loaded: dict[str, type[spi.Adapter] | spi.PluginError] = {}
    class_of_instance: dict[str, type[spi.Adapter] | None] = {}

    def validate(model: type[pydantic.BaseModel], options: Any, path: Path) -> pydantic.BaseModel | None:
        options = {} if options is None else options
        if not isinstance(options, dict):
            return None  # the hub schema reports "not a mapping"
        try:
            return model.model_validate(options, context={"base_dir": base_dir})
        except pydantic.ValidationError as exc:
            result.problems.extend(validation_problems(exc, doc, model=model, data=options, prefix=path,
                                                       substituted=substituted))
        except Exception as exc:  # a bug in a plugin's model must not crash the check
            result.problems.append(doc.problem(path, f"{model.__qualname__} raised {type(exc).__name__} while "
                                               "checking these options (a bug in the adapter)",
                                               "an adapter whose options model only raises ValueError"))
        return None

    for index, adapter in entries(doc.data, "adapters"):
        type_name = text_value(adapter.get("type"))
        if not type_name:
            continue
        if type_name not in loaded:
            try:
                loaded[type_name] = spi.load_adapter_class(type_name)
            except spi.PluginError as exc:
                loaded[type_name] = exc
        adapter_class = loaded[type_name]
        if isinstance(adapter_class, spi.PluginError):
            result.problems.append(doc.problem(("adapters", index, "type"), adapter_class.message,
                                               adapter_class.expected))
            adapter_class = None
        class_of_instance.setdefault(text_value(adapter.get("name")) or "", adapter_class)
        if adapter_class is not None:
            options = validate(adapter_class.Options, adapter.get("options"), ("adapters", index, "options"))
            if options is not None:
                result.adapters[index] = options

    for index, device in entries(doc.data, "devices"):
        adapter_class = class_of_instance.get(text_value(device.get("adapter")) or "")
        if adapter_class is not None:
            options = validate(adapter_class.DeviceOptions, device.get("options"), ("devices", index, "options"))
            if options is not None:
                result.devices[index] = options

    for index, uplink in entries(doc.data, "uplinks"):
        type_name = text_value(uplink.get("type"))
        if not type_name:
            continue
        try:
            uplink_class = spi.load_uplink_class(type_name)
        except spi.PluginError as exc:
            result.problems.append(doc.problem(("uplinks", index, "type"), exc.message, exc.expected))
            continue
        options = validate(uplink_class.Options, uplink.get("options"), ("uplinks", index, "options"))
        if options is not None:
            result.uplinks[index] = options
    return result
