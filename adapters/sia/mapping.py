"""Turn the data of a decoded SIA-DCS / ADM-CID frame into taxonomy events (pure functions)."""
from __future__ import annotations

import dataclasses

from adapters.sia.codes import CodeTables, Meaning
from adapters.sia.content import MODIFIER_NAMES, parse_adm_cid, parse_sia_dcs
from adapters.sia.frame import ADM_CID, SIA_DCS, Frame
from hub.events import Category, Severity, State

#: what an unmapped but well-formed code becomes (when the adapter is told to emit, not DUH, them)
UNMAPPED = Meaning("system.unmapped_code", Category.CATEGORY_SYSTEM, Severity.SEVERITY_WARNING, State.STATE_MOMENTARY,
                   "Code not in the mapping table")
#: xdata names that become attributes
XDATA_ATTRIBUTES = {"X": "longitude", "Y": "latitude", "M": "mac", "H": "event_time", "L": "location"}


@dataclasses.dataclass(slots=True)
class Alarm:
    """One event a frame reports: its meaning (``None`` when the code is not in the table)."""

    code: str
    meaning: Meaning | None
    attributes: dict[str, str]


def alarms_in(frame: Frame, tables: CodeTables) -> list[Alarm]:
    """The events in a SIA-DCS or ADM-CID frame (NULL and others carry none).

    Raises :class:`~adapters.sia.errors.ContentError` when the data block cannot be read.
    """
    common = {"account": frame.account or "", "sequence": f"{frame.sequence:04d}", "message_type": frame.id}
    if frame.receiver is not None:
        common["receiver"] = frame.receiver
    if frame.prefix is not None:
        common["line"] = frame.prefix
    for block in frame.xdata:
        if block.name in XDATA_ATTRIBUTES:
            common[XDATA_ATTRIBUTES[block.name]] = block.value
    if frame.id == SIA_DCS:
        alarms = []
        for event in parse_sia_dcs(frame.data).events():
            attributes = dict(common, code=event.code)
            if event.address:
                attributes["zone"] = event.address
            if event.text is not None:
                attributes["text"] = event.text
            for name, value in event.modifiers:
                attributes[MODIFIER_NAMES.get(name, name)] = value
            alarms.append(Alarm(event.code, tables.sia(event.code), attributes))
        return alarms
    if frame.id == ADM_CID:
        cid = parse_adm_cid(frame.data)
        code = f"{cid.qualifier}{cid.event}"
        attributes = dict(common, code=code, contact_id_qualifier=cid.qualifier, contact_id_event=cid.event,
                          partition=cid.partition)
        # Contact ID's CCC is the user number for open/close reports, else the zone.
        attributes["user" if cid.event.startswith("4") else "zone"] = cid.zone
        return [Alarm(code, tables.cid(cid.qualifier, cid.event), attributes)]
    return []
