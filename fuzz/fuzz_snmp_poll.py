"""SNMP poll answers: a GET/GETBULK response datagram decoded as pysnmp decodes it for the poller,
then everything of ours that reads the answer: the error check, value conversion, sysUpTime and
ifOperStatus readings, the UPS reading, the device facts, the bridge tables and the terminal
inventory, and the per-device watch.

Sans-IO: the poller's network round trip would make every mutation that pysnmp drops a timeout.
Contract: malformed BER is rejected by the decoder (never an exception escaping it, see
:func:`raised_by_ber_decoder`), and our code raises nothing but :class:`PollError`.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from pyasn1.codec.ber import decoder  # noqa: E402
from pyasn1.error import PyAsn1Error  # noqa: E402
from pysnmp.proto import api, rfc1902  # noqa: E402
from pysnmp.proto.api import v1, v2c  # noqa: E402
from pysnmp.proto.proxy import rfc2576  # noqa: E402

from adapters.snmp import oids  # noqa: E402
from adapters.snmp.fdb import (  # noqa: E402
    TerminalInventory, decode_base_port_ifindex, decode_bridge_fdb, decode_qbridge_fdb, terminal_locations,
)
from adapters.snmp.oids import is_under  # noqa: E402
from adapters.snmp.poller import Poller, PollError  # noqa: E402
from adapters.snmp.receiver import raised_by_ber_decoder  # noqa: E402
from adapters.snmp.taxonomy import render_value  # noqa: E402
from adapters.snmp.values import plain  # noqa: E402
from adapters.snmp.ports import PortSelection  # noqa: E402
from adapters.snmp.watch import DeviceWatch, PollResult, UpsReading  # noqa: E402
from fuzz import snmp_messages as messages  # noqa: E402

_WATCH = DeviceWatch(PortSelection(ports=frozenset({1, 2, 3})))
_INVENTORY = TerminalInventory(gone_after=30.0)
_clock = [0.0]


def decode_response(data: bytes):
    """(error status, error index, varbinds in v2 form) of a response, or None if it is malformed."""
    try:
        version = int(api.decodeMessageVersion(data))
        module = api.PROTOCOL_MODULES[version]
        message, _ = decoder.decode(data, asn1Spec=module.Message())
        pdu = module.apiMessage.get_pdu(message)
        if version == api.SNMP_VERSION_1:  # as the command generator does for v1 answers
            pdu = rfc2576.v1_to_v2(pdu, v2c.GetRequestPDU())
        return v2c.apiPDU.get_error_status(pdu), v2c.apiPDU.get_error_index(pdu, muteErrors=True), \
            v2c.apiPDU.get_varbinds(pdu)
    except (PyAsn1Error, KeyError):
        return None
    except Exception as exc:
        if raised_by_ber_decoder(exc):  # issue 19: pyasn1 raises TypeError/OverflowError on some BER
            return None
        raise


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    answer = decode_response(data)
    if answer is None:
        return
    error_status, error_index, varbinds = answer
    try:
        Poller._check(None, error_status, error_index, varbinds)
    except PollError:
        return
    rows = [(tuple(name), plain(value)) for name, value in varbinds]
    values = dict(rows)
    for oid in (oids.SYS_DESCR, oids.SYS_NAME, oids.SYS_OBJECT_ID):  # device facts
        render_value(values.get(oid))
    # as SnmpAdapter._poll reads a GET (and a walk of ifOperStatus: the rows under it)
    oper_status = {oid[-1]: value for oid, value in rows if is_under(oid, oids.IF_OPER_STATUS) and len(oid) ==
                   len(oids.IF_OPER_STATUS) + 1 and isinstance(value, int)}
    uptime = values.get(oids.SYS_UPTIME)
    _clock[0] += 10.0
    _WATCH.on_poll(PollResult(uptime=uptime if isinstance(uptime, int) else None, oper_status=oper_status,
                              ups=UpsReading.from_values(values)), _clock[0])
    walked = [(oid, value) for oid, value in rows if value is not None]
    entries = decode_qbridge_fdb(walked) or decode_bridge_fdb(walked)
    locations = terminal_locations("sw-1", entries, decode_base_port_ifindex(walked), uplink_ports=(1,),
                                   trunk_threshold=4)
    _INVENTORY.observe(locations, _clock[0])
    _INVENTORY.sweep(_clock[0])


def seeds() -> dict[str, bytes]:
    integer, octets, gauge = rfc1902.Integer, rfc1902.OctetString, rfc1902.Gauge32
    mac = (0, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E)
    return {
        "switch-get": messages.v2c_message("response", [
            (oids.SYS_UPTIME, rfc1902.TimeTicks(123456)), (oids.SYS_DESCR, octets(b"Campus switch 24p")),
            (oids.SYS_NAME, octets(b"sw-1")), (oids.SYS_OBJECT_ID, rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 9))),
            (oids.IF_OPER_STATUS + (1,), integer(1)), (oids.IF_OPER_STATUS + (2,), integer(2))]),
        "ups-get": messages.v2c_message("response", [
            (oids.SYS_UPTIME, rfc1902.TimeTicks(99)), (oids.UPS_BATTERY_STATUS, integer(3)),
            (oids.UPS_OUTPUT_SOURCE, integer(5)), (oids.UPS_SECONDS_ON_BATTERY, integer(60)),
            (oids.UPS_MINUTES_REMAINING, integer(12)), (oids.UPS_CHARGE_REMAINING, integer(40)),
            (oids.UPS_ALARMS_PRESENT, gauge(1))]),
        "qbridge-walk": messages.v2c_message("response", [
            (oids.DOT1Q_TP_FDB_PORT + (1,) + mac, integer(3)), (oids.DOT1Q_TP_FDB_STATUS + (1,) + mac, integer(3)),
            (oids.DOT1D_BASE_PORT_IFINDEX + (3,), integer(103))]),
        "bridge-walk": messages.v2c_message("response", [
            (oids.DOT1D_TP_FDB_PORT + mac, integer(5)), (oids.DOT1D_TP_FDB_STATUS + mac, integer(3))]),
        "no-such-object-and-error": messages.v2c_message("response", [
            (oids.SYS_UPTIME, rfc1902.TimeTicks(1)), (oids.IF_OPER_STATUS + (9,), v2c.NoSuchInstance())],
            error_status=5, error_index=2),
        "v1-response": messages.v1_response([(oids.SYS_UPTIME, v1.TimeTicks(5)),
                                             (oids.IF_OPER_STATUS + (3,), v1.Integer(7))]),
        **{f"issue19-malformed-ber-{i}": datagram for i, datagram in enumerate(messages.MALFORMED_BER, 1)},
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput, packages=("pysnmp.proto", "pyasn1.codec"))
