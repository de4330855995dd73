"""The whole SNMP trap path on datagrams: pysnmp's BER decoding and USM, our ``process_pdu`` (the
v1 -> v2 translation), the receiver's classification of rejections, value rendering, the trap
classifier and the per-device watch.

The receiver is the adapter's own :class:`TrapReceiver` on a loopback port; each input is handed
to it as its socket would (``_process``, synchronously). Contract: pysnmp may reject anything, but
nothing reaches ``on_error`` (a receiver error is a bug: the trap is lost) and our code raises nothing.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from pysnmp.carrier.asyncio.dgram import udp  # noqa: E402
from pysnmp.proto import rfc1902  # noqa: E402

from adapters.snmp import oids  # noqa: E402
from adapters.snmp.receiver import TrapReceiver  # noqa: E402
from adapters.snmp.taxonomy import Trap, generic_attributes, render_value  # noqa: E402
from adapters.snmp.usm import UsmUser  # noqa: E402
from adapters.snmp.ports import PortSelection  # noqa: E402
from adapters.snmp.watch import DeviceWatch  # noqa: E402
from fuzz import snmp_messages as messages  # noqa: E402

_USERS = [UsmUser("trapuser", "authpass123", "privpass123", engine_ids=(bytes.fromhex("8000000001020304"),)),
          UsmUser("plainuser", engine_ids=(bytes.fromhex("8000000001020304"),))]
_WATCHES = (DeviceWatch(), DeviceWatch(PortSelection(ports=frozenset({1, 2, 3, 7}))))
_errors: list[BaseException] = []
_clock = [0.0]


def _on_notification(notification) -> None:
    for _, value in notification.varbinds:
        render_value(value)
    try:
        trap = Trap.from_varbinds(notification.varbinds)
    except ValueError:
        return None
    generic_attributes(trap)
    _clock[0] += 7.0
    for watch in _WATCHES:
        watch.on_trap(trap, _clock[0])
    return None


def _start() -> tuple[asyncio.AbstractEventLoop, TrapReceiver, object, tuple[str, int]]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    receiver = loop.run_until_complete(TrapReceiver.start(
        host="127.0.0.1", port=0, communities=["public"], users=_USERS, on_notification=_on_notification,
        on_rejection=lambda rejection: None, on_error=lambda exc, source: _errors.append(exc),
        run_blocking=lambda function: asyncio.sleep(0, function())))
    # informs and v3 reports are answered to the sender: a socket of ours that nobody reads
    sink, _ = loop.run_until_complete(loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                                    local_addr=("127.0.0.1", 0)))
    return loop, receiver, receiver.engine.transport_dispatcher.get_transport(udp.DOMAIN_NAME), \
        sink.get_extra_info("sockname")


_LOOP, _RECEIVER, _TRANSPORT, _SENDER = _start()


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    _RECEIVER._process(_TRANSPORT, _SENDER, data)
    _LOOP.run_until_complete(asyncio.sleep(0))  # what the send of an answer scheduled
    if _errors:
        raise _errors.pop()


def seeds() -> dict[str, bytes]:
    integer, octets = rfc1902.Integer, rfc1902.OctetString
    ups_alarm = messages.notification(
        oids.UPS_TRAP_ALARM_ENTRY_ADDED, (oids.UPS_ALARM_ID + (1,), integer(1)),
        (oids.UPS_ALARM_DESCR + (1,), rfc1902.ObjectIdentifier(oids.UPS_WELL_KNOWN_ALARMS + (2,))))
    return {
        "v2c-link-down": messages.V2C_LINK_DOWN,
        "v1-link-down": messages.V1_LINK_DOWN,
        "v3-authpriv-cold-start": messages.V3_AUTHPRIV_COLD_START,
        "v3-plain-cold-start": messages.V3_PLAIN_COLD_START,
        "v2c-inform-link-up": messages.v2c_message("inform", messages.notification(
            oids.LINK_UP, (oids.IF_INDEX + (3,), integer(3)), (oids.IF_DESCR + (3,), octets(b"ge-0/0/3")),
            (oids.IF_OPER_STATUS + (3,), integer(1)))),
        "v2c-ups-alarm": messages.v2c_message("trap", ups_alarm),
        "v2c-unknown-trap-binary-value": messages.v2c_message("trap", messages.notification(
            (1, 3, 6, 1, 4, 1, 9, 0, 1), ((1, 3, 6, 1, 4, 1, 9, 2, 1), octets(b"\x00\xffcaf\xc3\xa9")),
            ((1, 3, 6, 1, 4, 1, 9, 2, 2), rfc1902.IpAddress("10.0.0.1")),
            ((1, 3, 6, 1, 4, 1, 9, 2, 3), rfc1902.Counter64(2**64 - 1)))),
        "v2c-cold-start-after-warm": messages.v2c_message("trap", messages.notification(oids.WARM_START, uptime=5)),
        "issue19-v1-generic-trap-117": messages.V1_GENERIC_TRAP_117,
        "found-v1-specific-trap-minus-8": messages.V1_SPECIFIC_TRAP_MINUS_8,
        **{f"issue19-malformed-ber-{i}": datagram for i, datagram in enumerate(messages.MALFORMED_BER, 1)},
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput, packages=("pysnmp.proto", "pysnmp.entity", "pysnmp.smi.instrum", "pyasn1.codec"))
