"""SNMP messages for the SNMP targets' seeds: net-snmp captures, and v1/v2c messages built with
pysnmp's encoder (the same library the receiver decodes with)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from pyasn1.codec.ber import encoder
from pysnmp.proto import rfc1902
from pysnmp.proto.api import v1, v2c

from adapters.snmp import oids

# net-snmp 5.9.3 snmptrap captures: they live with the SNMP tests, with their command lines
_spec = importlib.util.spec_from_file_location(
    "snmp_vectors", Path(__file__).resolve().parents[1] / "tests" / "snmp" / "snmp_vectors.py")
_vectors = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_vectors)
V2C_LINK_DOWN, V1_LINK_DOWN = _vectors.V2C_LINK_DOWN, _vectors.V1_LINK_DOWN
V3_AUTHPRIV_COLD_START, V3_PLAIN_COLD_START = _vectors.V3_AUTHPRIV_COLD_START, _vectors.V3_PLAIN_COLD_START
# issue 19: v1 generic-trap 117, and BER pyasn1's decoder raised TypeError/OverflowError on
V1_GENERIC_TRAP_117 = V1_LINK_DOWN.replace(b"\x02\x01\x02\x02\x01\x00", b"\x02\x01\x75\x02\x01\x00")
# found by the campaign after the fixes: specific-trap -8 became an OID arc in the v1 -> v2 translation
V1_SPECIFIC_TRAP_MINUS_8 = V1_GENERIC_TRAP_117.replace(b"\x02\x01\x75\x02\x01\x00", b"\x02\x01\x75\x02\x01\xf8")
MALFORMED_BER = (bytes.fromhex("7300"), bytes.fromhex("fd28"),
                 bytes.fromhex("30818b020103301102042f4b0ad402888081e053f4510300"))

_PDUS = {"trap": v2c.SNMPv2TrapPDU, "inform": v2c.InformRequestPDU, "response": v2c.ResponsePDU}


def v2c_message(kind: str, varbinds, *, community: str = "public", request_id: int = 1,
                error_status: int = 0, error_index: int = 0) -> bytes:
    pdu = _PDUS[kind]()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, request_id)
    v2c.apiPDU.set_error_status(pdu, error_status)
    v2c.apiPDU.set_error_index(pdu, error_index)
    v2c.apiPDU.set_varbinds(pdu, varbinds)
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    v2c.apiMessage.set_pdu(message, pdu)
    return encoder.encode(message)


def v1_response(varbinds, *, request_id: int = 1, error_status: int = 0) -> bytes:
    pdu = v1.GetResponsePDU()
    v1.apiPDU.set_defaults(pdu)
    v1.apiPDU.set_request_id(pdu, request_id)
    v1.apiPDU.set_error_status(pdu, error_status)
    v1.apiPDU.set_varbinds(pdu, varbinds)
    message = v1.Message()
    v1.apiMessage.set_defaults(message)
    v1.apiMessage.set_community(message, "public")
    v1.apiMessage.set_pdu(message, pdu)
    return encoder.encode(message)


def notification(trap_oid, *varbinds, uptime: int = 12345):
    return [(oids.SYS_UPTIME, rfc1902.TimeTicks(uptime)), (oids.SNMP_TRAP_OID, rfc1902.ObjectIdentifier(trap_oid)),
            *varbinds]
