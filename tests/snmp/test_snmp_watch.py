"""Poll and trap interpretation: reboot detection, link state, UPS conditions, once per change."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.snmp import oids
from adapters.snmp.taxonomy import Trap
from adapters.snmp.ports import PortInfo, PortSelection, port_table
from adapters.snmp.watch import TICKS_WRAP, DeviceWatch, PollResult, UpsReading, detect_reboot
from hub.events import State


@given(st.integers(0, TICKS_WRAP - 1), st.floats(1, 86400 * 30), st.floats(-3, 3))
def test_no_reboot_when_uptime_grew_by_the_elapsed_time(previous, elapsed, jitter):
    ticks = int(previous + max(0.0, elapsed + jitter) * 100) % TICKS_WRAP  # an agent's uptime never goes back
    assert not detect_reboot(previous, 1000.0, ticks, 1000.0 + elapsed)


@given(st.integers(0, TICKS_WRAP - 1), st.floats(1, 86400 * 30), st.floats(0.0, 1.0))
def test_no_reboot_when_uptime_grew_less_than_the_elapsed_time_or_not_at_all(previous, elapsed, fraction):
    # agents that cache sysUpTime (and recordings of real ones) answer the same value for a while
    ticks = int(previous + fraction * elapsed * 100) % TICKS_WRAP
    assert not detect_reboot(previous, 1000.0, ticks, 1000.0 + elapsed)


@given(st.integers(1, TICKS_WRAP - 1), st.floats(1, 86400), st.data())
def test_reboot_is_uptime_going_back_unless_the_counter_wrapped(previous, elapsed, data):
    ticks = data.draw(st.integers(0, previous - 1))
    wrapped = previous + elapsed * 100 + (5 + 0.01 * elapsed) * 100 >= TICKS_WRAP + ticks
    assert detect_reboot(previous, 0.0, ticks, elapsed) == (not wrapped)


def test_a_static_uptime_near_the_wrap_is_no_restart():
    # the Cisco C3750 recording answers 3896978921 ticks on every poll
    assert not detect_reboot(3896978921, 0.0, 3896978921, 60.0)
    assert detect_reboot(3896978921, 0.0, 12_000, 60.0)
    assert not detect_reboot(TICKS_WRAP - 1000, 0.0, 5000, 60.0)  # wrapped after 10 s, read 50 s later


def test_reboot_detected_by_poll_unless_a_cold_start_trap_said_so():
    watch = DeviceWatch()
    assert watch.on_poll(PollResult(uptime=500_000), now=0).findings == []
    report = watch.on_poll(PollResult(uptime=1_000), now=60)
    assert [f.type for f in report.findings] == ["network.device_restarted"]
    watch.on_trap(Trap.from_varbinds([(oids.SYS_UPTIME, 50), (oids.SNMP_TRAP_OID, oids.COLD_START)]), now=100)
    assert watch.on_poll(PollResult(uptime=6_050), now=160).findings == []


def test_restart_seen_by_poll_first_is_not_repeated_by_its_late_cold_start_trap():
    watch = DeviceWatch()
    watch.on_poll(PollResult(uptime=8_640_000), now=0)
    assert len(watch.on_poll(PollResult(uptime=3_000), now=60).findings) == 1  # booted at t=30
    late_trap = Trap.from_varbinds([(oids.SYS_UPTIME, 100), (oids.SNMP_TRAP_OID, oids.COLD_START)])
    assert watch.on_trap(late_trap, now=31).findings == []
    next_boot = Trap.from_varbinds([(oids.SYS_UPTIME, 100), (oids.SNMP_TRAP_OID, oids.COLD_START)])
    assert len(watch.on_trap(next_boot, now=500).findings) == 1


def test_link_down_reported_once_whether_trap_or_poll_saw_it_first():
    watch = DeviceWatch(PortSelection(ports=frozenset({7})))
    assert watch.on_poll(PollResult(oper_status={7: 1, 8: 2}), now=0).findings == []  # port 8 is not watched
    down = Trap.from_varbinds([(oids.SNMP_TRAP_OID, oids.LINK_DOWN), (oids.IF_INDEX + (7,), 7)])
    report = watch.on_trap(down, now=1)
    assert [(f.type, f.state) for f in report.findings] == [("network.link_down", State.STATE_RAISED)]
    assert report.port_changes == [(7, False)]
    assert watch.on_trap(down, now=2).findings == []
    assert watch.on_poll(PollResult(oper_status={7: 2}), now=3).findings == []
    up = watch.on_poll(PollResult(oper_status={7: 1}), now=4)
    assert [(f.type, f.state, f.attributes["source"]) for f in up.findings] == [
        ("network.link_down", State.STATE_CLEARED, "poll")]
    assert up.port_changes == [(7, True)]


def test_a_port_down_at_the_first_poll_is_recorded_not_alarmed_and_dormant_changes_nothing():
    watch = DeviceWatch()
    report = watch.on_poll(PollResult(oper_status={1: 2, 2: 5, 3: 1}), now=0)
    assert report.findings == []
    assert report.port_changes == [(1, False)]  # devices behind it are offline all the same
    report = watch.on_poll(PollResult(oper_status={1: 1, 2: 5, 3: 2}), now=1)
    assert [(f.type, f.state, f.attributes["port"]) for f in report.findings] == [
        ("network.link_down", State.STATE_CLEARED, "1"), ("network.link_down", State.STATE_RAISED, "3")]


def test_a_link_down_trap_is_a_change_even_before_the_first_poll():
    down = Trap.from_varbinds([(oids.SNMP_TRAP_OID, oids.LINK_DOWN), (oids.IF_INDEX + (7,), 7)])
    assert [f.state for f in DeviceWatch().on_trap(down, now=0).findings] == [State.STATE_RAISED]


PORTS = {1: PortInfo(if_type=6, name="Gi0/1", descr="GigabitEthernet0/1"), 2: PortInfo(if_type=6, name="Gi0/2"),
         3: PortInfo(if_type=136, name="Vlan1"), 4: PortInfo(if_type=24, name="Lo0"), 5: PortInfo(if_type=53)}


def test_by_default_only_physical_admin_up_ports_are_watched():
    watch = DeviceWatch()
    watch.on_poll(PollResult(oper_status={i: 1 for i in PORTS}, ports=PORTS), now=0)
    report = watch.on_poll(PollResult(oper_status={1: 2, 2: 2, 3: 2, 4: 2, 5: 2}, admin_status={1: 1, 2: 2},
                                      ports=PORTS), now=1)
    assert [(f.attributes["port"], f.attributes["port_name"], f.attributes["if_descr"]) for f in report.findings] == [
        ("1", "Gi0/1", "GigabitEthernet0/1")]


def test_an_administrator_shutting_an_alarmed_port_clears_its_alarm_without_a_new_one():
    watch = DeviceWatch()
    watch.on_poll(PollResult(oper_status={1: 1}, ports=PORTS), now=0)
    assert [f.state for f in watch.on_poll(PollResult(oper_status={1: 2}, admin_status={1: 1}), now=1).findings] == [
        State.STATE_RAISED]
    report = watch.on_poll(PollResult(oper_status={1: 2}, admin_status={1: 2}), now=2)
    assert [(f.state, f.attributes["admin_status"]) for f in report.findings] == [(State.STATE_CLEARED, "down")]
    shut = Trap.from_varbinds([(oids.SNMP_TRAP_OID, oids.LINK_DOWN), (oids.IF_INDEX + (2,), 2),
                               (oids.IF_ADMIN_STATUS + (2,), 2)])
    assert watch.on_trap(shut, now=3).findings == []
    # an administrator enabling a port with no cable in it starts a fresh record, not an alarm
    assert watch.on_poll(PollResult(oper_status={1: 2}, admin_status={1: 1}), now=4).findings == []


def test_the_port_selection_is_configurable():
    every_type = DeviceWatch(PortSelection(if_types=None, admin_down=True))
    every_type.on_poll(PollResult(oper_status={i: 1 for i in PORTS}, ports=PORTS), now=0)
    report = every_type.on_poll(PollResult(oper_status={i: 2 for i in PORTS}, admin_status={2: 2}), now=1)
    assert sorted(f.attributes["port"] for f in report.findings) == ["1", "2", "3", "4", "5"]
    listed = DeviceWatch(PortSelection(ports=frozenset({3})))
    listed.on_poll(PollResult(oper_status={i: 1 for i in PORTS}, ports=PORTS), now=0)
    report = listed.on_poll(PollResult(oper_status={i: 2 for i in PORTS}, admin_status={3: 1}), now=1)
    assert [(f.attributes["port"], f.attributes["port_name"]) for f in report.findings] == [("3", "Vlan1")]


def test_ups_on_battery_and_low_battery_raise_and_clear():
    watch = DeviceWatch()
    assert watch.on_poll(PollResult(ups=UpsReading(battery_status=2, output_source=3)), now=0).findings == []
    report = watch.on_poll(PollResult(ups=UpsReading(battery_status=3, output_source=5, minutes_remaining=4)), now=1)
    assert sorted((f.type, f.state) for f in report.findings) == [
        ("power.battery_low", State.STATE_RAISED), ("power.on_battery", State.STATE_RAISED)]
    assert report.findings[0].attributes["minutes_remaining"] == "4"
    trap = Trap.from_varbinds([(oids.SNMP_TRAP_OID, oids.UPS_TRAP_ON_BATTERY)])
    assert watch.on_trap(trap, now=2).findings == []  # already known from the poll
    report = watch.on_poll(PollResult(ups=UpsReading(battery_status=2, output_source=3)), now=3)
    assert sorted((f.type, f.state) for f in report.findings) == [
        ("power.battery_low", State.STATE_CLEARED), ("power.on_battery", State.STATE_CLEARED)]


def test_unknown_traps_always_pass_through():
    watch = DeviceWatch()
    trap = Trap.from_varbinds([(oids.SNMP_TRAP_OID, (1, 3, 6, 1, 4, 1, 9, 0, 1))])
    assert [f.type for f in watch.on_trap(trap, 0).findings] == ["network.trap"]
    assert [f.type for f in watch.on_trap(trap, 1).findings] == ["network.trap"]


def test_the_port_table_reads_types_and_names_and_skips_what_is_not_a_column_row():
    rows = {oids.IF_TYPE + (1,): 6, oids.IF_NAME + (1,): b"Gi0/1", oids.IF_DESCR + (1,): b"GigabitEthernet0/1\x00",
            oids.IF_TYPE + (2,): b"six", oids.IF_DESCR + (2,): b"Vlan1", oids.IF_TYPE + (3, 1): 6,
            oids.IF_NAME + (4,): None}
    assert port_table(rows) == {1: PortInfo(6, "Gi0/1", "GigabitEthernet0/1"), 2: PortInfo(None, "", "Vlan1")}


@given(st.dictionaries(st.tuples(st.sampled_from([oids.IF_TYPE, oids.IF_NAME, oids.IF_DESCR, oids.IF_OPER_STATUS]),
                                 st.lists(st.integers(0, 2**31), max_size=3)).map(lambda t: t[0] + tuple(t[1])),
                       st.one_of(st.integers(-2**31, 2**32), st.binary(max_size=40), st.none(),
                                 st.tuples(st.integers(0, 9)))))
def test_the_port_table_takes_any_answer(rows):
    for if_index, info in port_table(rows).items():
        assert isinstance(if_index, int) and isinstance(info.label, str)
        assert info.if_type is None or isinstance(info.if_type, int)


def test_a_trap_alarm_on_a_port_the_first_poll_shows_unwatched_is_cleared():
    watch = DeviceWatch()
    vlan_down = Trap.from_varbinds([(oids.SNMP_TRAP_OID, oids.LINK_DOWN), (oids.IF_INDEX + (3,), 3)])
    assert [f.state for f in watch.on_trap(vlan_down, now=0).findings] == [State.STATE_RAISED]  # type not known yet
    report = watch.on_poll(PollResult(oper_status={3: 2}, admin_status={3: 1}, ports=PORTS), now=1)
    assert [(f.state, f.attributes["port_name"], "admin_status" in f.attributes) for f in report.findings] == [
        (State.STATE_CLEARED, "Vlan1", False)]


def test_a_link_trap_before_the_first_poll_names_the_port_from_its_own_varbinds():
    down = Trap.from_varbinds([(oids.SNMP_TRAP_OID, oids.LINK_DOWN), (oids.IF_INDEX + (10101,), 10101),
                               (oids.IF_DESCR + (10101,), b"GigabitEthernet1/0/1")])
    [finding] = DeviceWatch().on_trap(down, now=0).findings
    assert (finding.attributes["port"], finding.attributes["port_name"]) == ("10101", "GigabitEthernet1/0/1")
