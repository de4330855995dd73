"""The ``uplinks:`` section of ``hub.yaml``: links to other hubs (federation), each an instance
of an uplink plugin (entry points ``campushub.uplinks``) configured like an adapter: ``name``,
``type`` and ``options`` checked by the plugin's own ``Options`` model. None: a standalone hub
that needs no NATS (see docs/integrator-guide.md)."""
from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from hub.config.section import Section

__all__ = ["UplinkConfig", "unique_uplink_names"]


def _instance_name(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9_-]{1,64}", value):
        raise ValueError(f"{value!r} is not a valid uplink name; expected 1-64 lowercase letters, digits, '_' or '-'")
    return value


class UplinkConfig(Section):
    """One uplink instance."""

    name: Annotated[str, AfterValidator(_instance_name)] = Field(description="Unique instance name.")
    type: Annotated[str, Field(min_length=1)] = Field(description="Uplink type: an entry point name in group "
                                                      "campushub.uplinks (nats).")
    # Checked by hub.config.plugin_options with the type's own model, so problems point at their line.
    options: Any = Field(default_factory=dict, repr=False, description="Options of this instance, checked by the "
                         "uplink type's Options model; after loading, an instance of that model.")


def unique_uplink_names(uplinks: list[UplinkConfig]) -> list[UplinkConfig]:
    seen: set[str] = set()
    for uplink in uplinks:
        if uplink.name in seen:
            raise ValueError(f"two uplinks are named {uplink.name!r}; expected unique names")
        seen.add(uplink.name)
    return uplinks
