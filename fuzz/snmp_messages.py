"""SNMP messages for the SNMP targets' seeds: net-snmp captures, and v1/v2c messages built with
pysnmp's encoder (the same library the receiver decodes with)."""
from __future__ import annotations

from pyasn1.codec.ber import encoder
from pysnmp.proto import rfc1902
from pysnmp.proto.api import v1, v2c

from adapters.snmp import oids

# net-snmp 5.9.3 snmptrap captures (tests/snmp/snmp_vectors.py has their command lines)
V2C_LINK_DOWN = bytes.fromhex(
    "306602010104067075626c6963a7590204064dc68f020100020100304b300e06082b06010201010300430230393017060a"
    "2b06010603010104010006092b0601060301010503300f060a2b060102010202010107020107300f060a2b060102010202"
    "010807020102")
V1_LINK_DOWN = bytes.fromhex(
    "303902010004067075626c6963a42c06072b06010401bf0840047f000001020102020100430230393011300f060a2b0601"
    "02010202010107020107")
V3_AUTHPRIV_COLD_START = bytes.fromhex(
    "3081ac020103301102046a4c310f020300ffe30401030201030442304004088000000001020304020101020300ea810408"
    "7472617075736572041895fc21f35a559fd926097d3801e4070963a9958e22270d010408e3320e3dda6678a4045054db47"
    "74e90da68be88e34627e7be99da553e882f85f7a30f9b6cab94a8e986b9116d59d4c271614319a3888b6c4e1bd5700cf4d"
    "db0b44a3accf38dd4831e5d61cd0ab982be255a56e8fbced82f186ba")
V3_PLAIN_COLD_START = bytes.fromhex(
    "30818b020103301102042f4b0ad4020300ffe30401000201030423302104088000000001020304020101020300ea820409"
    "706c61696e7573657204000400304e041180001f888081e0f4513463036b000000000400a73702043ccbf6a60201000201"
    "003029300e06082b06010201010300430230393017060a2b06010603010104010006092b0601060301010501")
# issue 19: v1 generic-trap 117, and BER pyasn1's decoder raised TypeError/OverflowError on
V1_GENERIC_TRAP_117 = V1_LINK_DOWN.replace(b"\x02\x01\x02\x02\x01\x00", b"\x02\x01\x75\x02\x01\x00")
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
