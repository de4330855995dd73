"""Traps -> findings: every mapped trap, unknown traps kept with their varbinds, never raising."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.snmp import oids
from adapters.snmp.taxonomy import EVENT_TYPES, TRAP_RULES, Finding, Trap, classify_trap, link_change, render_value
from hub.events import State

UPTIME = (oids.SYS_UPTIME, 12345)


def trap(trap_oid, *varbinds):
    return Trap.from_varbinds([UPTIME, (oids.SNMP_TRAP_OID, trap_oid), *varbinds])


def test_link_down_names_the_port_and_link_up_clears_it():
    down = classify_trap(trap(oids.LINK_DOWN, (oids.IF_INDEX + (7,), 7), (oids.IF_ADMIN_STATUS + (7,), 1),
                              (oids.IF_OPER_STATUS + (7,), 2)))
    assert (down.type, down.state, down.attributes["port"]) == ("network.link_down", State.STATE_RAISED, "7")
    assert down.attributes["oper_status"] == "2" and down.attributes["trap"] == "linkDown"
    up = classify_trap(trap(oids.LINK_UP, (oids.IF_OPER_STATUS + (7,), 1)))
    assert (up.type, up.state, up.attributes["port"]) == ("network.link_down", State.STATE_CLEARED, "7")
    assert link_change(trap(oids.LINK_UP, (oids.IF_OPER_STATUS + (7,), 1))) == (7, True)


@pytest.mark.parametrize("trap_oid, expected", [
    (oids.COLD_START, ("network.device_restarted", State.STATE_MOMENTARY)),
    (oids.WARM_START, ("network.device_restarted", State.STATE_MOMENTARY)),
    (oids.AUTHENTICATION_FAILURE, ("network.auth_failure", State.STATE_MOMENTARY)),
    (oids.UPS_TRAP_ON_BATTERY, ("power.on_battery", State.STATE_RAISED)),
    (oids.UPS_TRAP_TEST_COMPLETED, ("power.ups_test_completed", State.STATE_MOMENTARY)),
])
def test_standard_traps(trap_oid, expected):
    finding = classify_trap(trap(trap_oid))
    assert (finding.type, finding.state) == expected
    assert finding.attributes["uptime_ticks"] == "12345"


def test_ups_alarm_entry_traps_use_the_well_known_alarm():
    on_battery = oids.UPS_WELL_KNOWN_ALARMS + (2,)
    added = classify_trap(trap(oids.UPS_TRAP_ALARM_ENTRY_ADDED, (oids.UPS_ALARM_ID + (4,), 4),
                               (oids.UPS_ALARM_DESCR + (4,), on_battery)))
    assert (added.type, added.state, added.attributes["alarm"]) == ("power.on_battery", State.STATE_RAISED, "onBattery")
    removed = classify_trap(trap(oids.UPS_TRAP_ALARM_ENTRY_REMOVED, (oids.UPS_ALARM_DESCR + (4,), on_battery)))
    assert (removed.type, removed.state) == ("power.on_battery", State.STATE_CLEARED)
    fan = classify_trap(trap(oids.UPS_TRAP_ALARM_ENTRY_ADDED, (oids.UPS_ALARM_DESCR + (5,), oids.UPS_WELL_KNOWN_ALARMS + (16,))))
    assert (fan.type, fan.attributes["alarm"]) == ("power.ups_alarm", "fanFailure")


def test_unknown_trap_is_kept_with_its_varbinds():
    vendor = (1, 3, 6, 1, 4, 1, 9, 9, 41, 2, 0, 1)
    finding = classify_trap(trap(vendor, ((1, 3, 6, 1, 4, 1, 9, 9, 41, 1, 2, 3, 1, 5, 1), b"fan tray removed"),
                                 ((1, 3, 6, 1, 4, 1, 9, 1), b"\x00\xff")))
    assert (finding.type, finding.state) == ("network.trap", State.STATE_MOMENTARY)
    assert finding.attributes["trap_oid"] == "1.3.6.1.4.1.9.9.41.2.0.1"
    assert finding.attributes["vb.1.3.6.1.4.1.9.9.41.1.2.3.1.5.1"] == "fan tray removed"
    assert finding.attributes["vb.1.3.6.1.4.1.9.1"] == "00:ff"


def test_notification_without_trap_oid_is_an_error():
    with pytest.raises(ValueError):
        Trap.from_varbinds([UPTIME])


def test_every_rule_maps_to_a_known_event_type():
    for rule in TRAP_RULES.values():
        assert rule.type is None or rule.type in EVENT_TYPES


oid_strategy = st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=14).map(tuple)
value_strategy = st.one_of(st.integers(-2**31, 2**32), st.binary(max_size=40), oid_strategy, st.none(),
                           st.text(max_size=10))


@given(st.sampled_from(list(TRAP_RULES) + [(1, 3, 6, 1, 4, 1, 99, 1)]),
       st.lists(st.tuples(st.one_of(oid_strategy, st.sampled_from([oids.IF_INDEX + (3,), oids.UPS_ALARM_DESCR + (1,)])),
                          value_strategy), max_size=8))
def test_classify_never_raises_and_types_are_known(trap_oid, varbinds):
    finding = classify_trap(Trap(trap_oid=trap_oid, varbinds=tuple(varbinds)))
    assert finding.type in EVENT_TYPES
    assert all(isinstance(v, str) for v in finding.attributes.values())


def test_ups_traps_sent_as_snmpv1_map_like_their_v2_form():
    v1_form = oids.UPS_TRAPS + (0, 1)  # enterprise upsTraps, specific 1, per RFC 3584
    assert classify_trap(trap(v1_form)).type == "power.on_battery"


@pytest.mark.parametrize("type_", sorted(EVENT_TYPES))
def test_a_clear_carries_the_severity_of_what_it_clears(type_):
    raised = Finding(type_, State.STATE_RAISED)
    assert Finding(type_, State.STATE_CLEARED).severity == raised.severity


@pytest.mark.parametrize("raw, text", [
    (b"Cisco IOS Software, C3750 Software\r\nTechnical Support: http://www.cisco.com/techsupport\r\n",
     "Cisco IOS Software, C3750 Software\r\nTechnical Support: http://www.cisco.com/techsupport\r\n"),
    (b"H3C Switch E528\tVersion 5.20\n", "H3C Switch E528\tVersion 5.20\n"),
    (b"UPS-1\x00\x00", "UPS-1"),  # NUL padding of fixed-size fields
    ("Zentrale Ü".encode(), "Zentrale Ü"),
    (b"\x00\x1a\x2b\x3c\x4d\x5e", "00:1a:2b:3c:4d:5e"),
    (b"\x1b[1mbold", "1b:5b:31:6d:62:6f:6c:64"),
    (b"", ""),
])
def test_printable_octet_strings_render_as_text_and_binary_ones_as_hex(raw, text):
    assert render_value(raw) == text


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Co", "Cf")) | st.sampled_from("\r\n\t"),
               min_size=1))
def test_any_printable_text_renders_as_itself(text):
    assert render_value(text.encode()) == text.rstrip("\x00")


@given(st.binary())
def test_any_octet_string_renders_as_text_or_as_hex_that_reads_back(raw):
    rendered = render_value(raw)
    assert rendered.encode() == raw.rstrip(b"\x00") or bytes.fromhex(rendered.replace(":", "")) == raw
