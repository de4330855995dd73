"""SIA DC-03 and Contact ID codes -> event taxonomy, read from the data file ``codes.yaml``."""
from __future__ import annotations

import dataclasses
import functools
from importlib import resources

import yaml

from hub.events import Category, Severity, State

#: Contact ID event qualifiers
NEW, RESTORE, STATUS = "1", "3", "6"


@dataclasses.dataclass(frozen=True)
class Meaning:
    """What a code means in our taxonomy."""

    type: str
    category: int
    severity: int
    state: int
    description: str = ""


def _meaning(entry: dict, default_state: str) -> Meaning:
    return Meaning(
        type=entry["type"],
        category=Category.Value(f"CATEGORY_{entry['category'].upper()}"),
        severity=Severity.Value(f"SEVERITY_{entry['severity'].upper()}"),
        state=State.Value(f"STATE_{entry.get('state', default_state).upper()}"),
        description=entry.get("description", ""),
    )


@dataclasses.dataclass(frozen=True)
class CodeTables:
    dc03: dict[str, Meaning]
    contact_id: dict[str, dict[str, Meaning]]  # event code -> qualifier -> meaning

    def sia(self, code: str) -> Meaning | None:
        return self.dc03.get(code)

    def cid(self, qualifier: str, event: str) -> Meaning | None:
        return self.contact_id.get(event, {}).get(qualifier)


def _contact_id(entry: dict) -> dict[str, Meaning]:
    new = _meaning(entry, "raised")
    restore = entry.get("restore")
    if restore is not None:
        cleared = _meaning({"description": new.description, **restore}, "cleared")
    elif new.state == State.STATE_MOMENTARY:
        cleared = new
    else:
        cleared = dataclasses.replace(new, state=State.STATE_CLEARED)
    return {NEW: new, STATUS: new, RESTORE: cleared}


@functools.cache
def load_tables() -> CodeTables:
    raw = yaml.safe_load(resources.files("adapters.sia").joinpath("codes.yaml").read_text("utf-8"))
    return CodeTables(
        dc03={code: _meaning(entry, "raised") for code, entry in raw["dc03"].items()},
        contact_id={str(code): _contact_id(entry) for code, entry in raw["contact_id"].items()},
    )
