"""SNMP findings as campus-hub events: the mapping tables (data) and the trap classifier.

Traps and polls report the same facts (a port went down, the UPS runs on battery); both map to the
same event types here, so a lost trap is made good by the next poll and the per-device state in
:mod:`.watch` makes sure a fact is reported once, whichever saw it first.

Trap varbinds reach this module as plain Python values: ``int`` for numbers, ``bytes`` for octet
strings, ``tuple`` for OIDs, ``str`` for IP addresses, ``None`` for noSuchObject/endOfMibView.
"""
from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from hub.events import Category, Severity, State

from . import oids
from .oids import OID, format_oid

VarBinds = Sequence[tuple[OID, Any]]

# Event types: type -> (category, severity). Reviewed like code.
EVENT_TYPES: Mapping[str, tuple[int, int]] = {
    "network.link_down": (Category.CATEGORY_NETWORK, Severity.SEVERITY_MAJOR),
    "network.device_restarted": (Category.CATEGORY_NETWORK, Severity.SEVERITY_WARNING),
    "network.auth_failure": (Category.CATEGORY_NETWORK, Severity.SEVERITY_WARNING),
    "network.trap": (Category.CATEGORY_NETWORK, Severity.SEVERITY_INFO),
    "network.terminal_new": (Category.CATEGORY_NETWORK, Severity.SEVERITY_INFO),
    "network.terminal_moved": (Category.CATEGORY_NETWORK, Severity.SEVERITY_WARNING),
    "network.terminal_gone": (Category.CATEGORY_NETWORK, Severity.SEVERITY_INFO),
    "power.on_battery": (Category.CATEGORY_POWER, Severity.SEVERITY_CRITICAL),
    "power.battery_low": (Category.CATEGORY_POWER, Severity.SEVERITY_CRITICAL),
    "power.battery_depleted": (Category.CATEGORY_POWER, Severity.SEVERITY_CRITICAL),
    "power.on_bypass": (Category.CATEGORY_POWER, Severity.SEVERITY_MAJOR),
    "power.ups_alarm": (Category.CATEGORY_POWER, Severity.SEVERITY_MAJOR),
    "power.ups_test_completed": (Category.CATEGORY_POWER, Severity.SEVERITY_INFO),
}

# RFC 1628 upsWellKnownAlarms (1.3.6.1.2.1.33.1.6.3.N): N -> name, and the event type of the
# alarms that have their own (the rest become power.ups_alarm with alarm=<name>).
UPS_WELL_KNOWN_ALARMS: Mapping[int, str] = {
    1: "batteryBad", 2: "onBattery", 3: "lowBattery", 4: "depletedBattery", 5: "tempBad",
    6: "inputBad", 7: "outputBad", 8: "outputOverload", 9: "onBypass", 10: "bypassBad",
    11: "outputOffAsRequested", 12: "upsOffAsRequested", 13: "chargerFailed", 14: "upsOutputOff",
    15: "upsSystemOff", 16: "fanFailure", 17: "fuseFailure", 18: "generalFault",
    19: "diagnosticTestFailed", 20: "communicationsLost", 21: "awaitingPower",
    22: "shutdownPending", 23: "shutdownImminent", 24: "testInProgress",
}
UPS_ALARM_EVENT_TYPES: Mapping[str, str] = {
    "onBattery": "power.on_battery",
    "lowBattery": "power.battery_low",
    "depletedBattery": "power.battery_depleted",
    "onBypass": "power.on_bypass",
}


@dataclasses.dataclass(frozen=True)
class TrapRule:
    """What a trap OID means: event type and state (``None`` type: handled specially)."""

    type: str | None
    state: int
    description: str


TRAP_RULES: Mapping[OID, TrapRule] = {
    oids.COLD_START: TrapRule("network.device_restarted", State.STATE_MOMENTARY, "coldStart"),
    oids.WARM_START: TrapRule("network.device_restarted", State.STATE_MOMENTARY, "warmStart"),
    oids.LINK_DOWN: TrapRule("network.link_down", State.STATE_RAISED, "linkDown"),
    oids.LINK_UP: TrapRule("network.link_down", State.STATE_CLEARED, "linkUp"),
    oids.AUTHENTICATION_FAILURE: TrapRule("network.auth_failure", State.STATE_MOMENTARY, "authenticationFailure"),
    oids.UPS_TRAP_ON_BATTERY: TrapRule("power.on_battery", State.STATE_RAISED, "upsTrapOnBattery"),
    oids.UPS_TRAP_TEST_COMPLETED: TrapRule("power.ups_test_completed", State.STATE_MOMENTARY, "upsTrapTestCompleted"),
    # the alarm entry traps name the alarm in upsAlarmDescr: see _ups_alarm_finding
    oids.UPS_TRAP_ALARM_ENTRY_ADDED: TrapRule(None, State.STATE_RAISED, "upsTrapAlarmEntryAdded"),
    oids.UPS_TRAP_ALARM_ENTRY_REMOVED: TrapRule(None, State.STATE_CLEARED, "upsTrapAlarmEntryRemoved"),
}
# UPS-MIB puts its notifications directly under upsTraps (33.2.N). Sent as SNMPv1 traps they become
# enterprise 33.2, specific N, which RFC 3584 turns back into 33.2.0.N: accept both spellings.
TRAP_RULES = {
    **TRAP_RULES,
    **{oids.UPS_TRAPS + (0, oid[-1]): rule for oid, rule in TRAP_RULES.items() if oids.is_under(oid, oids.UPS_TRAPS)},
}


@dataclasses.dataclass(frozen=True)
class Finding:
    """A fact about one device, ready to become an event (see :func:`finding_event_fields`)."""

    type: str
    state: int
    attributes: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def category(self) -> int:
        return EVENT_TYPES[self.type][0]

    @property
    def severity(self) -> int:
        # a clear carries the severity of what it clears (docs/subscriber-guide.md): a subscriber
        # filtering on min_severity must see the clear of every alarm it saw raised
        return EVENT_TYPES[self.type][1]


@dataclasses.dataclass(frozen=True)
class Trap:
    """A received notification, version-independent (v1 traps arrive converted to v2 form)."""

    trap_oid: OID
    varbinds: tuple[tuple[OID, Any], ...]
    uptime: int | None = None  # sysUpTime.0 in the trap, hundredths of a second

    @classmethod
    def from_varbinds(cls, varbinds: VarBinds) -> Trap:
        """Split sysUpTime.0 and snmpTrapOID.0 off a v2 notification's varbinds.

        Raises :class:`ValueError` when snmpTrapOID.0 is missing or not an OID.
        """
        uptime = None
        trap_oid = None
        rest = []
        for oid, value in varbinds:
            if oid == oids.SYS_UPTIME and isinstance(value, int):
                uptime = value
            elif oid == oids.SNMP_TRAP_OID:
                if not isinstance(value, tuple):
                    raise ValueError(f"snmpTrapOID.0 is not an OID: {value!r}")
                trap_oid = value
            else:
                rest.append((oid, value))
        if trap_oid is None:
            raise ValueError("notification without snmpTrapOID.0")
        return cls(trap_oid=trap_oid, varbinds=tuple(rest), uptime=uptime)

    def value_under(self, column: OID) -> tuple[OID, Any] | None:
        """The first varbind in ``column`` (returns (instance index, value))."""
        for oid, value in self.varbinds:
            if oids.is_under(oid, column):
                return oid[len(column):], value
        return None


def _is_text(text: str) -> bool:
    """No control, format, surrogate or unassigned characters, except line breaks and tabs."""
    return text.isprintable() or all(c in "\r\n\t" or unicodedata.category(c)[0] not in "C" for c in text)


def render_value(value: Any) -> str:
    """A varbind value as attribute text: printable strings as text, other bytes as hex.

    Text may hold line breaks and tabs (Cisco and H3C sysDescr do), and NUL padding at its end
    (fixed-size fields) is dropped; anything else unprintable (MAC addresses, binary) is colon-hex."""
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8").rstrip("\x00")
        except UnicodeDecodeError:
            return value.hex(":")
        return text if text and _is_text(text) or not value else value.hex(":")
    if isinstance(value, tuple):
        return format_oid(value)
    if value is None:
        return ""
    return str(value)


def _if_index(trap: Trap) -> int | None:
    for column in (oids.IF_INDEX, oids.IF_OPER_STATUS, oids.IF_ADMIN_STATUS, oids.IF_DESCR):
        found = trap.value_under(column)
        if found is None:
            continue
        index, value = found
        if column == oids.IF_INDEX and isinstance(value, int):
            return value
        if len(index) == 1:
            return index[0]
    return None


def _link_attributes(trap: Trap) -> dict[str, str]:
    attributes = {}
    if_index = _if_index(trap)
    if if_index is not None:
        attributes["port"] = str(if_index)
    for column, name in ((oids.IF_DESCR, "if_descr"), (oids.IF_NAME, "if_name"), (oids.IF_ALIAS, "if_alias"),
                         (oids.IF_ADMIN_STATUS, "admin_status"), (oids.IF_OPER_STATUS, "oper_status")):
        found = trap.value_under(column)
        if found is not None:
            attributes[name] = render_value(found[1])
    return attributes


def ups_alarm_name(descr: Any) -> str:
    """upsAlarmDescr (an OID under upsWellKnownAlarms) -> its name, or the dotted OID."""
    if isinstance(descr, tuple) and oids.is_under(descr, oids.UPS_WELL_KNOWN_ALARMS) and len(descr) == len(oids.UPS_WELL_KNOWN_ALARMS) + 1:
        return UPS_WELL_KNOWN_ALARMS.get(descr[-1], format_oid(descr))
    return render_value(descr) or "unknown"


def _ups_alarm_finding(trap: Trap, state: int) -> Finding:
    found = trap.value_under(oids.UPS_ALARM_DESCR)
    name = ups_alarm_name(found[1]) if found else "unknown"
    attributes = {"alarm": name}
    alarm_id = trap.value_under(oids.UPS_ALARM_ID)
    if alarm_id is not None:
        attributes["alarm_id"] = render_value(alarm_id[1])
    return Finding(UPS_ALARM_EVENT_TYPES.get(name, "power.ups_alarm"), state, attributes)


def generic_attributes(trap: Trap) -> dict[str, str]:
    """Every varbind as ``vb.<oid>`` so unknown traps keep what they said."""
    return {f"vb.{format_oid(oid)}": render_value(value) for oid, value in trap.varbinds}


def classify_trap(trap: Trap) -> Finding:
    """Map a trap to a finding; unknown traps become ``network.trap`` with all their varbinds."""
    rule = TRAP_RULES.get(trap.trap_oid)
    attributes: dict[str, str] = {"trap_oid": format_oid(trap.trap_oid)}
    if trap.uptime is not None:
        attributes["uptime_ticks"] = str(trap.uptime)
    if rule is None:
        return Finding("network.trap", State.STATE_MOMENTARY, {**attributes, **generic_attributes(trap)})
    attributes["trap"] = rule.description
    if rule.type is None:
        finding = _ups_alarm_finding(trap, rule.state)
        return dataclasses.replace(finding, attributes={**attributes, **finding.attributes})
    if trap.trap_oid in (oids.LINK_DOWN, oids.LINK_UP):
        attributes.update(_link_attributes(trap))
    return Finding(rule.type, rule.state, attributes)


def link_change(trap: Trap) -> tuple[int, bool] | None:
    """(ifIndex, is_up) for linkDown/linkUp traps that name their interface, else None."""
    if trap.trap_oid not in (oids.LINK_DOWN, oids.LINK_UP):
        return None
    if_index = _if_index(trap)
    return None if if_index is None else (if_index, trap.trap_oid == oids.LINK_UP)
