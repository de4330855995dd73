"""Reading a switch's interfaces for one poll: link and admin state, and (when due) ifType and names.

ifType, ifName and ifDescr change only when the device restarts or gains a module, so they are
read at the first poll, after a restart and when an unknown ifIndex appears. ifOperStatus is read
on every poll; ifAdminStatus only for the ports whose link is not up (an up link is admin up):
one extra GET instead of one more walk of the column.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from . import oids
from .oids import OID
from .poller import Poller, Target
from .ports import PortInfo, port_table
from .watch import OPER_UP

GET_CHUNK = 40  # varbinds per GET: stays well inside a 1500-byte answer
PORT_COLUMNS = (oids.IF_TYPE, oids.IF_NAME, oids.IF_DESCR)


async def get_many(poller: Poller, target: Target, names: Sequence[OID]) -> dict[OID, Any]:
    """GET any number of OIDs, GET_CHUNK per request."""
    values: dict[OID, Any] = {}
    for i in range(0, len(names), GET_CHUNK):
        values.update(await poller.get(target, names[i:i + GET_CHUNK]))
    return values


@dataclasses.dataclass(frozen=True)
class InterfaceReading:
    oper_status: dict[int, int]
    admin_status: dict[int, int]
    ports: dict[int, PortInfo] | None  # None: not read this time


def _column(values: dict[OID, Any], column: OID) -> dict[int, int]:
    return {oid[-1]: value for oid, value in values.items()
            if oids.is_under(oid, column) and len(oid) == len(column) + 1 and isinstance(value, int)}


async def read_interfaces(poller: Poller, target: Target, listed: Sequence[int] | None,
                          known: dict[int, PortInfo] | None) -> InterfaceReading:
    """One poll's interface reading. ``listed``: the only ifIndexes to read (None: walk every
    port); ``known``: the port table read before (None: read it now)."""
    if listed is not None:
        values = await get_many(poller, target, [column + (port,) for port in listed
                                                 for column in (oids.IF_OPER_STATUS, oids.IF_ADMIN_STATUS)])
        oper, admin = _column(values, oids.IF_OPER_STATUS), _column(values, oids.IF_ADMIN_STATUS)
    else:
        oper = _column(dict(await poller.walk(target, oids.IF_OPER_STATUS)), oids.IF_OPER_STATUS)
        not_up = [oids.IF_ADMIN_STATUS + (port,) for port, status in sorted(oper.items()) if status != OPER_UP]
        admin = _column(await get_many(poller, target, not_up), oids.IF_ADMIN_STATUS)
    ports = None
    if known is None or any(port not in known for port in oper):
        if listed is not None:
            rows = await get_many(poller, target, [column + (port,) for port in listed for column in PORT_COLUMNS])
        else:
            rows = {}
            for column in PORT_COLUMNS:
                rows.update(await poller.walk(target, column))
        ports = port_table(rows)
        # a port the device lists no type or name for must not make every poll read the table again
        ports.update({port: PortInfo() for port in oper if port not in ports})
    return InterfaceReading(oper, admin, ports)
