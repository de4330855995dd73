"""Numeric OIDs the adapter and simulator use (no MIB files: only core MIBs ship with pysnmp).

Sources: RFC 3418 (SNMPv2-MIB), RFC 2863 (IF-MIB), RFC 4188 (BRIDGE-MIB), RFC 4363 (Q-BRIDGE-MIB),
RFC 1628 (UPS-MIB), RFC 3584 (snmpTrapAddress, snmpTrapCommunity).
"""
from __future__ import annotations

OID = tuple[int, ...]


def parse_oid(text: str) -> OID:
    """``"1.3.6.1"`` (an optional leading dot is allowed) -> ``(1, 3, 6, 1)``."""
    parts = text.strip().lstrip(".").split(".")
    try:
        oid = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"not a numeric OID: {text!r} (expected dotted numbers like 1.3.6.1.2.1)") from None
    if len(oid) < 2 or any(n < 0 for n in oid):
        raise ValueError(f"not a numeric OID: {text!r} (expected dotted numbers like 1.3.6.1.2.1)")
    return oid


def format_oid(oid: OID) -> str:
    return ".".join(str(n) for n in oid)


def is_under(oid: OID, prefix: OID) -> bool:
    return oid[: len(prefix)] == prefix and len(oid) > len(prefix)


# --- SNMPv2-MIB system group and trap plumbing ---------------------------------------------------
SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID = (1, 3, 6, 1, 2, 1, 1, 2, 0)
SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SYS_CONTACT = (1, 3, 6, 1, 2, 1, 1, 4, 0)
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
SYS_LOCATION = (1, 3, 6, 1, 2, 1, 1, 6, 0)
SNMP_TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
SNMP_TRAP_ADDRESS = (1, 3, 6, 1, 6, 3, 18, 1, 3, 0)
SNMP_TRAP_COMMUNITY = (1, 3, 6, 1, 6, 3, 18, 1, 4, 0)

# --- standard notifications (SNMPv2-MIB snmpTraps) ----------------------------------------------
SNMP_TRAPS = (1, 3, 6, 1, 6, 3, 1, 1, 5)
COLD_START = SNMP_TRAPS + (1,)
WARM_START = SNMP_TRAPS + (2,)
LINK_DOWN = SNMP_TRAPS + (3,)
LINK_UP = SNMP_TRAPS + (4,)
AUTHENTICATION_FAILURE = SNMP_TRAPS + (5,)

# --- IF-MIB -------------------------------------------------------------------------------------
IF_NUMBER = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IF_INDEX = IF_ENTRY + (1,)
IF_DESCR = IF_ENTRY + (2,)
IF_TYPE = IF_ENTRY + (3,)
IF_MTU = IF_ENTRY + (4,)
IF_SPEED = IF_ENTRY + (5,)
IF_PHYS_ADDRESS = IF_ENTRY + (6,)
IF_ADMIN_STATUS = IF_ENTRY + (7,)
IF_OPER_STATUS = IF_ENTRY + (8,)
IF_LAST_CHANGE = IF_ENTRY + (9,)
IF_IN_OCTETS = IF_ENTRY + (10,)
IF_IN_UCAST_PKTS = IF_ENTRY + (11,)
IF_IN_ERRORS = IF_ENTRY + (14,)
IF_OUT_OCTETS = IF_ENTRY + (16,)
IF_OUT_UCAST_PKTS = IF_ENTRY + (17,)
IF_OUT_ERRORS = IF_ENTRY + (20,)
IF_X_ENTRY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
IF_NAME = IF_X_ENTRY + (1,)
IF_HC_IN_OCTETS = IF_X_ENTRY + (6,)
IF_HC_OUT_OCTETS = IF_X_ENTRY + (10,)
IF_HIGH_SPEED = IF_X_ENTRY + (15,)
IF_ALIAS = IF_X_ENTRY + (18,)

# --- BRIDGE-MIB / Q-BRIDGE-MIB ------------------------------------------------------------------
DOT1D_BASE_PORT_IFINDEX = (1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2)
DOT1D_TP_FDB_ENTRY = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1)
DOT1D_TP_FDB_ADDRESS = DOT1D_TP_FDB_ENTRY + (1,)
DOT1D_TP_FDB_PORT = DOT1D_TP_FDB_ENTRY + (2,)
DOT1D_TP_FDB_STATUS = DOT1D_TP_FDB_ENTRY + (3,)
DOT1Q_TP_FDB_ENTRY = (1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1)
DOT1Q_TP_FDB_PORT = DOT1Q_TP_FDB_ENTRY + (2,)
DOT1Q_TP_FDB_STATUS = DOT1Q_TP_FDB_ENTRY + (3,)

# --- UPS-MIB (RFC 1628) -------------------------------------------------------------------------
UPS_MIB = (1, 3, 6, 1, 2, 1, 33)
UPS_IDENT = UPS_MIB + (1, 1)
UPS_IDENT_MANUFACTURER = UPS_IDENT + (1, 0)
UPS_IDENT_MODEL = UPS_IDENT + (2, 0)
UPS_IDENT_UPS_SOFTWARE_VERSION = UPS_IDENT + (3, 0)
UPS_IDENT_AGENT_SOFTWARE_VERSION = UPS_IDENT + (4, 0)
UPS_IDENT_NAME = UPS_IDENT + (5, 0)
UPS_IDENT_ATTACHED_DEVICES = UPS_IDENT + (6, 0)
UPS_BATTERY_STATUS = UPS_MIB + (1, 2, 1, 0)
UPS_SECONDS_ON_BATTERY = UPS_MIB + (1, 2, 2, 0)
UPS_MINUTES_REMAINING = UPS_MIB + (1, 2, 3, 0)
UPS_CHARGE_REMAINING = UPS_MIB + (1, 2, 4, 0)
UPS_OUTPUT_SOURCE = UPS_MIB + (1, 4, 1, 0)
UPS_ALARMS_PRESENT = UPS_MIB + (1, 6, 1, 0)
UPS_ALARM_ID = UPS_MIB + (1, 6, 2, 1, 1)
UPS_ALARM_DESCR = UPS_MIB + (1, 6, 2, 1, 2)
UPS_WELL_KNOWN_ALARMS = UPS_MIB + (1, 6, 3)
UPS_TRAPS = UPS_MIB + (2,)
UPS_TRAP_ON_BATTERY = UPS_TRAPS + (1,)
UPS_TRAP_TEST_COMPLETED = UPS_TRAPS + (2,)
UPS_TRAP_ALARM_ENTRY_ADDED = UPS_TRAPS + (3,)
UPS_TRAP_ALARM_ENTRY_REMOVED = UPS_TRAPS + (4,)

#: Subtrees a switch poll walks, and the scalars a UPS poll reads.
UPS_SCALARS = (
    UPS_BATTERY_STATUS, UPS_SECONDS_ON_BATTERY, UPS_MINUTES_REMAINING, UPS_CHARGE_REMAINING,
    UPS_OUTPUT_SOURCE, UPS_ALARMS_PRESENT,
)
