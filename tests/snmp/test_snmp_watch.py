"""Poll and trap interpretation: reboot detection, link state, UPS conditions, once per change."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.snmp import oids
from adapters.snmp.taxonomy import Trap
from adapters.snmp.watch import TICKS_WRAP, DeviceWatch, PollResult, UpsReading, detect_reboot
from hub.events import State


@given(st.integers(0, TICKS_WRAP - 1), st.floats(1, 86400 * 30), st.floats(-3, 3))
def test_no_reboot_when_uptime_grew_by_the_elapsed_time(previous, elapsed, jitter):
    ticks = int(previous + (elapsed + jitter) * 100) % TICKS_WRAP
    assert not detect_reboot(previous, 1000.0, ticks, 1000.0 + elapsed)


@given(st.integers(0, TICKS_WRAP // 2), st.floats(60, 86400), st.floats(0.0, 0.8))
def test_reboot_detected_when_uptime_restarted_within_the_interval(previous, elapsed, boot_fraction):
    # the device rebooted boot_fraction into the interval: its uptime is the rest of the interval
    ticks = int((1 - boot_fraction) * elapsed * 100)
    assert detect_reboot(previous, 0.0, ticks, elapsed) == (ticks + (5 + 0.01 * elapsed) * 100 < previous + elapsed * 100)


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
    watch = DeviceWatch(watched_ports=frozenset({7}))
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


def test_a_port_down_at_the_first_poll_is_reported_and_dormant_changes_nothing():
    watch = DeviceWatch()
    report = watch.on_poll(PollResult(oper_status={1: 2, 2: 5, 3: 1}), now=0)
    assert [(f.type, f.attributes["port"]) for f in report.findings] == [("network.link_down", "1")]
    assert report.port_changes == [(1, False)]


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
