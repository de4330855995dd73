"""Bridge forwarding tables -> terminal locations, and the terminal MAC inventory (sans-IO).

BRIDGE-MIB dot1dTpFdbTable is indexed by the MAC (6 sub-identifiers); Q-BRIDGE-MIB
dot1qTpFdbTable by (fdbId, MAC). Both name a *bridge port*, which dot1dBasePortIfIndex maps to the
ifIndex people know as "port 7". Only entries with status learned(3) are terminals; self(4) and
mgmt(5) are the switch's own.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from . import oids
from .oids import OID

FDB_LEARNED = 3


@dataclasses.dataclass(frozen=True)
class FdbEntry:
    mac: str  # lower-case aa:bb:cc:dd:ee:ff
    bridge_port: int
    fdb_id: int | None = None  # Q-BRIDGE filtering database (usually the VLAN)


@dataclasses.dataclass(frozen=True)
class Location:
    """Where a terminal sits: switch device id, ifIndex, and filtering database if known."""

    switch: str
    port: int
    fdb_id: int | None = None


def mac_from_index(index: OID) -> str:
    """Six sub-identifiers 0..255 -> ``aa:bb:cc:dd:ee:ff``; :class:`ValueError` otherwise."""
    if len(index) != 6 or any(not 0 <= b <= 255 for b in index):
        raise ValueError(f"not a MAC index: {index!r}")
    return ":".join(f"{b:02x}" for b in index)


def _columns(varbinds: Iterable[tuple[OID, Any]], entry: OID) -> dict[int, dict[OID, Any]]:
    """Group a table walk by column: {column: {index: value}}; rows outside ``entry`` are ignored."""
    table: dict[int, dict[OID, Any]] = {}
    for oid, value in varbinds:
        if oids.is_under(oid, entry) and len(oid) > len(entry) + 1:
            table.setdefault(oid[len(entry)], {})[oid[len(entry) + 1:]] = value
    return table


def _learned(varbinds: Iterable[tuple[OID, Any]], entry: OID, fdb_id_in_index: bool) -> list[FdbEntry]:
    """Learned rows of a forwarding table (column 2 port, 3 status); malformed rows are skipped
    and not guessed at. A row without a status column counts as learned."""
    table = _columns(varbinds, entry)
    statuses = table.get(3, {})
    entries = []
    for index, port in table.get(2, {}).items():
        if statuses.get(index, FDB_LEARNED) != FDB_LEARNED or not isinstance(port, int) or port <= 0:
            continue
        fdb_id, mac_index = (index[0], index[1:]) if fdb_id_in_index and index else (None, index)
        try:
            entries.append(FdbEntry(mac_from_index(mac_index), port, fdb_id=fdb_id))
        except ValueError:
            continue
    return entries


def decode_bridge_fdb(varbinds: Iterable[tuple[OID, Any]]) -> list[FdbEntry]:
    """Learned entries of a dot1dTpFdbTable walk (index: the MAC)."""
    return _learned(varbinds, oids.DOT1D_TP_FDB_ENTRY, fdb_id_in_index=False)


def decode_qbridge_fdb(varbinds: Iterable[tuple[OID, Any]]) -> list[FdbEntry]:
    """Learned entries of a dot1qTpFdbTable walk (index: fdbId, then the MAC)."""
    return _learned(varbinds, oids.DOT1Q_TP_FDB_ENTRY, fdb_id_in_index=True)


def decode_base_port_ifindex(varbinds: Iterable[tuple[OID, Any]]) -> dict[int, int]:
    """dot1dBasePortIfIndex walk -> {bridge port: ifIndex}."""
    mapping = {}
    for oid, value in varbinds:
        if oids.is_under(oid, oids.DOT1D_BASE_PORT_IFINDEX) and len(oid) == len(oids.DOT1D_BASE_PORT_IFINDEX) + 1:
            if isinstance(value, int) and value > 0:
                mapping[oid[-1]] = value
    return mapping


def terminal_locations(
    switch: str,
    entries: Iterable[FdbEntry],
    port_ifindex: Mapping[int, int],
    *,
    uplink_ports: Iterable[int] = (),
    trunk_threshold: int = 0,
) -> dict[str, Location]:
    """MAC -> location on ``switch``, leaving out uplinks (terminals there sit on another switch).

    A bridge port without a dot1dBasePortIfIndex row is taken as its own ifIndex (common on small
    switches). ``trunk_threshold`` > 0 also leaves out ports that carry more MACs than that.
    """
    uplinks = set(uplink_ports)
    by_port: dict[int, list[FdbEntry]] = {}
    for entry in entries:
        if_index = port_ifindex.get(entry.bridge_port, entry.bridge_port)
        by_port.setdefault(if_index, []).append(entry)
    locations: dict[str, Location] = {}
    for if_index, port_entries in sorted(by_port.items()):
        if if_index in uplinks or (trunk_threshold and len({e.mac for e in port_entries}) > trunk_threshold):
            continue
        for entry in port_entries:
            # Q-BRIDGE may list a MAC once per VLAN: the first (lowest fdbId) wins, deterministically
            current = locations.get(entry.mac)
            if current is None or (entry.fdb_id or 0) < (current.fdb_id or 0):
                locations[entry.mac] = Location(switch, if_index, entry.fdb_id)
    return locations


@dataclasses.dataclass(frozen=True)
class TerminalChange:
    kind: str  # "new" | "moved" | "gone"
    mac: str
    location: Location
    previous: Location | None = None


@dataclasses.dataclass
class _Sighting:
    location: Location
    first_seen: float
    last_seen: float


@dataclasses.dataclass(frozen=True)
class Terminal:
    """One inventory row, as the API shows it."""

    mac: str
    switch: str
    port: int
    fdb_id: int | None
    first_seen: float
    last_seen: float


class TerminalInventory:
    """Which MAC sits on which switch port.

    :meth:`observe` takes one switch's current table and reports new and moved terminals (a MAC
    that shows up on another port or switch has moved); :meth:`sweep` reports terminals absent from
    every table for ``gone_after`` seconds (forwarding entries of idle terminals age out and come
    back, so absence from one poll means nothing).
    """

    def __init__(self, gone_after: float) -> None:
        if gone_after <= 0:
            raise ValueError("gone_after must be positive seconds")
        self.gone_after = gone_after
        self._terminals: dict[str, _Sighting] = {}

    def observe(self, locations: Mapping[str, Location], now: float) -> list[TerminalChange]:
        changes = []
        for mac, location in sorted(locations.items()):
            sighting = self._terminals.get(mac)
            if sighting is None:
                self._terminals[mac] = _Sighting(location, now, now)
                changes.append(TerminalChange("new", mac, location))
                continue
            if sighting.location != location:
                changes.append(TerminalChange("moved", mac, location, sighting.location))
                sighting.location = location
            sighting.last_seen = max(sighting.last_seen, now)
        return changes

    def sweep(self, now: float, *, unknown_switches: Iterable[str] = ()) -> list[TerminalChange]:
        """Report and drop terminals unseen for ``gone_after``; terminals on ``unknown_switches``
        (switches that cannot be read right now) are kept: their absence says nothing."""
        skip = set(unknown_switches)
        gone = [mac for mac, s in self._terminals.items()
                if now - s.last_seen >= self.gone_after and s.location.switch not in skip]
        return [TerminalChange("gone", mac, self._terminals.pop(mac).location) for mac in sorted(gone)]

    def terminals(self, switch: str | None = None) -> list[Terminal]:
        """The inventory (optionally one switch's), sorted by switch, port, MAC."""
        rows = [
            Terminal(mac, s.location.switch, s.location.port, s.location.fdb_id, s.first_seen, s.last_seen)
            for mac, s in self._terminals.items()
            if switch is None or s.location.switch == switch
        ]
        return sorted(rows, key=lambda t: (t.switch, t.port, t.mac))

    def __len__(self) -> int:
        return len(self._terminals)
