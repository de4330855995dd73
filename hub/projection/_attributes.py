"""An item's field as a change event's attribute (text) and back: the alarm table and the hazard
ledger journal every change as an event holding the whole item, one attribute a field."""
from __future__ import annotations

import enum
from collections.abc import Mapping

_OPTIONAL = " | None"


def attribute_text(value) -> str:
    """``value`` as an attribute: true/false, an enum's value, "" for None, a float exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return value.value
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def attribute_value(annotation: str, text: str, enums: Mapping[str, type[enum.Enum]] | None = None):
    """The field's value from its attribute ``text``, by the field's ``annotation`` (as written,
    e.g. "int", "Shelving", "Disposition | None"); ``enums`` names the enum types it may be."""
    optional = annotation.endswith(_OPTIONAL)
    if optional:
        if not text:
            return None
        annotation = annotation[:-len(_OPTIONAL)]
    if annotation == "bool":
        return text == "true"
    if annotation == "int":
        return int(text)
    if annotation == "float":
        return float(text)
    if enums and annotation in enums:
        return enums[annotation](text)
    return text
