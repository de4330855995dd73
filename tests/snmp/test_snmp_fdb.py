"""Forwarding-table decoding and the terminal inventory."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.snmp import oids
from adapters.snmp.fdb import (
    FdbEntry, Location, TerminalInventory, decode_base_port_ifindex, decode_bridge_fdb, decode_qbridge_fdb,
    mac_from_index, terminal_locations,
)

MAC_A = (0x00, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E)
MAC_B = (0xAC, 0xDE, 0x48, 0x00, 0x11, 0x22)


def test_bridge_fdb_keeps_learned_entries_only():
    walk = [
        (oids.DOT1D_TP_FDB_ADDRESS + MAC_A, bytes(MAC_A)), (oids.DOT1D_TP_FDB_ADDRESS + MAC_B, bytes(MAC_B)),
        (oids.DOT1D_TP_FDB_PORT + MAC_A, 3), (oids.DOT1D_TP_FDB_PORT + MAC_B, 0),
        (oids.DOT1D_TP_FDB_STATUS + MAC_A, 3), (oids.DOT1D_TP_FDB_STATUS + MAC_B, 4),
    ]
    assert decode_bridge_fdb(walk) == [FdbEntry("00:1a:2b:3c:4d:5e", 3)]


def test_qbridge_fdb_reads_vlan_and_mac_from_the_index():
    walk = [(oids.DOT1Q_TP_FDB_PORT + (20,) + MAC_B, 5), (oids.DOT1Q_TP_FDB_STATUS + (20,) + MAC_B, 3),
            (oids.DOT1Q_TP_FDB_PORT + (20, 1, 2), 5)]  # a malformed index is skipped
    assert decode_qbridge_fdb(walk) == [FdbEntry("ac:de:48:00:11:22", 5, fdb_id=20)]


def test_bridge_ports_map_to_ifindex_and_uplinks_are_left_out():
    port_map = decode_base_port_ifindex([(oids.DOT1D_BASE_PORT_IFINDEX + (1,), 10101),
                                         (oids.DOT1D_BASE_PORT_IFINDEX + (2,), 10102)])
    assert port_map == {1: 10101, 2: 10102}
    entries = [FdbEntry("00:00:00:00:00:01", 1), FdbEntry("00:00:00:00:00:02", 2), FdbEntry("00:00:00:00:00:03", 9)]
    locations = terminal_locations("sw1", entries, port_map, uplink_ports=[10102])
    assert locations == {"00:00:00:00:00:01": Location("sw1", 10101), "00:00:00:00:00:03": Location("sw1", 9)}


def test_trunk_threshold_drops_ports_with_many_macs():
    entries = [FdbEntry(f"00:00:00:00:00:{i:02x}", 24) for i in range(5)] + [FdbEntry("00:00:00:00:01:00", 3)]
    assert list(terminal_locations("sw1", entries, {}, trunk_threshold=4)) == ["00:00:00:00:01:00"]


def test_inventory_new_moved_gone():
    inventory = TerminalInventory(gone_after=100)
    a = "00:1a:2b:3c:4d:5e"
    assert [c.kind for c in inventory.observe({a: Location("sw1", 3)}, now=0)] == ["new"]
    assert inventory.observe({a: Location("sw1", 3)}, now=50) == []
    moved = inventory.observe({a: Location("sw2", 7)}, now=60)
    assert [(c.kind, c.location, c.previous) for c in moved] == [("moved", Location("sw2", 7), Location("sw1", 3))]
    assert inventory.sweep(now=159) == []
    assert [(c.kind, c.mac) for c in inventory.sweep(now=160)] == [("gone", a)]
    assert len(inventory) == 0


@given(st.lists(st.integers(0, 255), min_size=6, max_size=6).map(tuple))
def test_mac_index_round_trip(index):
    mac = mac_from_index(index)
    assert tuple(int(part, 16) for part in mac.split(":")) == index


macs = st.sampled_from([f"00:00:00:00:00:{i:02x}" for i in range(6)])
locations = st.builds(Location, st.sampled_from(["sw1", "sw2"]), st.integers(1, 4))


@given(st.lists(st.tuples(st.dictionaries(macs, locations, max_size=4), st.floats(0, 50)), max_size=12))
def test_inventory_reports_a_consistent_history(polls):
    inventory = TerminalInventory(gone_after=60)
    now = 0.0
    known: dict[str, Location] = {}
    for table, step in polls:
        now += step
        for change in inventory.sweep(now) + inventory.observe(table, now):
            if change.kind == "new":
                assert change.mac not in known
                known[change.mac] = change.location
            elif change.kind == "moved":
                assert known[change.mac] == change.previous != change.location
                known[change.mac] = change.location
            else:
                assert known.pop(change.mac) == change.location
        for mac, location in table.items():
            assert known[mac] == location
    assert {t.mac: Location(t.switch, t.port, t.fdb_id) for t in inventory.terminals()} == known
