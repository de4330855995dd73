"""Datagrams the fuzz campaign of issue 19 found, sent over UDP to the adapter's trap receiver."""
from __future__ import annotations

import socket

import pytest
import snmp_vectors as vectors
import structlog
from snmp_fixtures import Rig
# V1_LINK_DOWN with generic-trap 117 (no SNMPv2 equivalent), community public, from sw-1.
V1_GENERIC_TRAP_117 = bytes.fromhex(
    "303902010004067075626c6963a42c06072b06010401bf0840047f000001020175020100430230393011300f060a2b06"
    "0102010202010107020107")
# Found by the campaign after the fixes: the same with specific-trap -8 (0xf8), which became the arc
# of an OID in the v1 -> v2 translation. And an enterprise-specific trap (generic 6) with it.
V1_GENERIC_117_SPECIFIC_MINUS_8 = V1_GENERIC_TRAP_117.replace(b"\x02\x01\x75\x02\x01\x00", b"\x02\x01\x75\x02\x01\xf8")
V1_SPECIFIC_MINUS_8 = V1_GENERIC_TRAP_117.replace(b"\x02\x01\x75\x02\x01\x00", b"\x02\x01\x06\x02\x01\xf8")
MALFORMED_BER = [bytes.fromhex("7300"), bytes.fromhex("fd28"),
                 bytes.fromhex("30818b020103301102042f4b0ad402888081e053f4510300")]


@pytest.fixture
async def rig():
    rig = await Rig.start()
    yield rig
    await rig.stop()


def send(port: int, datagram: bytes, source: str = "127.0.1.1") -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.sendto(datagram, ("127.0.0.1", port))


async def test_v1_trap_with_an_unknown_generic_trap_is_kept_as_an_unknown_trap_with_its_varbinds(rig):
    assert V1_GENERIC_TRAP_117 == vectors.V1_LINK_DOWN.replace(b"\x02\x01\x02\x02\x01\x00", b"\x02\x01\x75\x02\x01\x00")
    send(rig.adapter.trap_port, V1_GENERIC_TRAP_117)
    event = await rig.ctx.wait_for_event("network.trap", source_device_id="sw-1")
    assert event.attributes["trap_oid"] == "1.3.6.1.6.3.1.1.5.118"  # RFC 3584's snmpTraps.(generic + 1)
    assert event.attributes["vb.1.3.6.1.2.1.2.2.1.1.7"] == "7"  # ifIndex.7 = 7, as sent
    assert event.attributes["vb.1.3.6.1.6.3.1.1.4.3.0"] == "1.3.6.1.4.1.8072"  # snmpTrapEnterprise.0
    assert rig.ctx.metrics.total("snmp_traps_received", version="v1") == 1
    assert rig.ctx.metrics.total("snmp_traps_rejected") == 0


async def test_v1_trap_with_a_negative_specific_trap_is_kept_with_its_unsigned_32_bit_reading(rig):
    # An agent that encodes a specific-trap above 2**31 as a signed 32-bit INTEGER sends it negative;
    # no OID arc can hold -8, so the arc is what the agent meant: -8 read as unsigned 32 bits.
    assert V1_GENERIC_117_SPECIFIC_MINUS_8.hex() == (
        "303902010004067075626c6963a42c06072b06010401bf0840047f000001020175020"
        "1f8430230393011300f060a2b060102010202010107020107")  # the crash file's input
    send(rig.adapter.trap_port, V1_GENERIC_117_SPECIFIC_MINUS_8)
    send(rig.adapter.trap_port, V1_SPECIFIC_MINUS_8, source="127.0.1.2")
    unknown = await rig.ctx.wait_for_event("network.trap", source_device_id="sw-1")
    assert unknown.attributes["trap_oid"] == "1.3.6.1.6.3.1.1.5.118"
    specific = await rig.ctx.wait_for_event("network.trap", source_device_id="sw-2")
    assert specific.attributes["trap_oid"] == f"1.3.6.1.4.1.8072.0.{2**32 - 8}"
    assert specific.attributes["vb.1.3.6.1.2.1.2.2.1.1.7"] == "7"
    assert rig.ctx.metrics.total("snmp_traps_received", version="v1") == 2
    assert rig.ctx.metrics.total("snmp_traps_rejected") == 0


async def test_ber_the_decoder_chokes_on_is_counted_and_logged_as_malformed_input(rig):
    with structlog.testing.capture_logs() as logs:
        for datagram in MALFORMED_BER:
            send(rig.adapter.trap_port, datagram)
        await rig.ctx.wait_for(lambda: rig.ctx.metrics.total("snmp_traps_rejected", reason="malformed") == 3,
                               what="three malformed datagrams counted")
    assert rig.ctx.metrics.total("snmp_traps_rejected", reason="receiver_error") == 0
    assert [entry["log_level"] for entry in logs if entry["event"].startswith("snmp.receiver")] == []
    rejected = [entry for entry in logs if entry["event"] == "snmp.trap.rejected"]
    assert rejected and {(entry["log_level"], entry["reason"]) for entry in rejected} == {("warning", "malformed")}
    send(rig.adapter.trap_port, vectors.V2C_LINK_DOWN, source="127.0.1.2")  # and the next good one counts
    await rig.ctx.wait_for_event("network.link_down", source_device_id="sw-2")
