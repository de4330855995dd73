"""Which switch ports a device watch reports link changes for (sans-IO).

A switch lists far more interfaces than cables: VLAN interfaces, loopbacks, tunnels, stack and
management ports, and ports an administrator shut. Only a physical port that is administratively
up can lose its link unexpectedly; the rest are state, not alarms. :class:`PortSelection` says
which ports are watched; :class:`PortInfo` is what the IF-MIB says about a port.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from . import oids
from .taxonomy import render_value

# IANAifType values of physical Ethernet ports: ethernetCsmacd(6), iso88023Csmacd(7),
# fastEther(62), fastEtherFX(69), gigabitEthernet(117). VLAN interfaces are l3ipvlan(136),
# loopbacks softwareLoopback(24), virtual and stack ports propVirtual(53) and others.
PHYSICAL_IF_TYPES = frozenset({6, 7, 62, 69, 117})
ADMIN_UP = 1
ADMIN_STATUS_NAMES = {1: "up", 2: "down", 3: "testing"}


@dataclasses.dataclass(frozen=True)
class PortInfo:
    """IF-MIB ifType, ifName (ifXTable) and ifDescr of one interface."""

    if_type: int | None = None
    name: str = ""
    descr: str = ""

    @property
    def label(self) -> str:
        """How people call the port: its ifName, else its ifDescr."""
        return self.name or self.descr

    def attributes(self) -> dict[str, str]:
        attributes = {}
        if self.label:
            attributes["port_name"] = self.label
        if self.descr:
            attributes["if_descr"] = self.descr
        return attributes


@dataclasses.dataclass(frozen=True)
class PortSelection:
    """``ports``: the ifIndexes to watch (None: every port of the listed ``if_types``, None for
    every type); ``admin_down``: watch ports an administrator shut, too."""

    ports: frozenset[int] | None = None
    if_types: frozenset[int] | None = PHYSICAL_IF_TYPES
    admin_down: bool = False

    def watches(self, if_index: int, info: PortInfo | None, admin_status: int | None) -> bool:
        """Is this port watched? Unknown type or admin status (a trap before the first poll) count as watched."""
        if self.ports is not None:
            if if_index not in self.ports:
                return False
        elif self.if_types is not None and info is not None and info.if_type is not None:
            if info.if_type not in self.if_types:
                return False
        return self.admin_down or admin_status is None or admin_status == ADMIN_UP


def port_table(rows: Mapping[tuple, Any]) -> dict[int, PortInfo]:
    """ifIndex -> PortInfo from ifType, ifName and ifDescr rows ((column + (ifIndex,), value))."""
    columns: dict[int, dict[str, Any]] = {}
    for oid, value in rows.items():
        for column, field in ((oids.IF_TYPE, "if_type"), (oids.IF_NAME, "name"), (oids.IF_DESCR, "descr")):
            if oids.is_under(oid, column) and len(oid) == len(column) + 1 and value is not None:
                if field == "if_type":
                    if isinstance(value, int):
                        columns.setdefault(oid[-1], {})[field] = value
                else:
                    columns.setdefault(oid[-1], {})[field] = render_value(value).strip()
    return {if_index: PortInfo(**fields) for if_index, fields in columns.items()}
