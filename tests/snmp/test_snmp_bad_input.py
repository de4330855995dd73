"""Bad input is counted, logged, marks the right device, and affects nothing else."""
from __future__ import annotations

import asyncio
import socket
import sys
import threading

import pytest
import snmp_vectors as vectors
import structlog
from snmp_fixtures import NET_SNMP, NO_NET_SNMP, Rig, polls, run_tool

from hub.spi.testing import eventually
from simulators.snmp.agent import V3User


@pytest.fixture
async def rig():
    rig = await Rig.start()
    yield rig
    await rig.stop()


def send_raw(port: int, *datagrams: bytes, source: str = "127.0.1.1") -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        for datagram in datagrams:
            sock.sendto(datagram, ("127.0.0.1", port))


async def test_malformed_ber_is_counted_and_the_receiver_keeps_working(rig):
    port = rig.adapter.trap_port
    send_raw(port, b"\x30\x03\x02\x01", b"", b"\xff" * 40, vectors.V2C_LINK_DOWN[:-5],
             b"\x30\x82\xff\xff" + vectors.V2C_LINK_DOWN[2:])
    await eventually(lambda: rig.ctx.metrics.total("snmp_traps_rejected", reason="malformed") >= 4,
                     what="malformed datagrams counted")
    send_raw(port, vectors.V2C_LINK_DOWN, source="127.0.1.2")  # a good one still gets through
    event = await rig.ctx.wait_for_event("network.link_down", source_device_id="sw-2")
    assert event.attributes["port"] == "7"


async def test_wrong_community_marks_that_device_faulty_only(rig):
    ctx, sim = rig.ctx, rig.sim
    await ctx.wait_for(lambda: ctx.state("sw-1") == "online" and ctx.state("sw-2") == "online")
    sim.trap_community = "guessed"
    await sim.port_down("sw-2", 1)
    await ctx.wait_for(lambda: ctx.state("sw-2") == "faulty", what="sw-2 faulty")
    assert ctx.records["sw-2"].reason == "traps rejected: bad community"
    assert ctx.metrics.total("snmp_traps_rejected", reason="bad_community") == 1
    await eventually(lambda: polls(rig) >= 12)
    assert ctx.state("sw-1") == "online" and ctx.state("sw-2") == "faulty"  # polling does not hide it
    sim.trap_community = None
    await sim.port_up("sw-2", 1)
    await ctx.wait_for(lambda: ctx.state("sw-2") == "online", what="sw-2 accepted again")


@pytest.mark.parametrize("user, reason", [
    (V3User("nobody", "authpass123", "privpass123"), "unknown_user"),
    (V3User("trapuser", "wrongpass123", "privpass123"), "wrong_digest"),
])
async def test_v3_bad_credentials_are_rejected_and_counted(user, reason):
    rig = await Rig.start(trap_version="v3")
    try:
        rig.sim.v3_user = user
        await rig.sim.port_down("sw-1", 2)
        await rig.ctx.wait_for(lambda: rig.ctx.state("sw-1") == "faulty", what="sw-1 faulty")
        assert rig.ctx.metrics.total("snmp_traps_rejected", reason=reason) >= 1
        assert rig.ctx.metrics.total("snmp_traps_received") == 0
        await rig.ctx.wait_for(lambda: rig.ctx.state("ups-1") == "online", what="others unaffected")
    finally:
        await rig.stop()


@pytest.mark.skipif(not NET_SNMP, reason=NO_NET_SNMP)
async def test_v3_wrong_privacy_key_from_net_snmp_is_rejected(rig):
    code, _, err = await run_tool(
        "snmptrap", "-v3", "-u", "trapuser", "-l", "authPriv", "-a", "SHA-256", "-A", "authpass123", "-x", "AES",
        "-X", "not-the-key", "-e", "0x8000000001020304", f"127.0.0.1:{rig.adapter.trap_port}", "1",
        "1.3.6.1.6.3.1.1.5.1")
    assert code == 0, err
    await eventually(lambda: rig.ctx.metrics.total("snmp_traps_rejected") >= 1, what="rejection counted")
    assert rig.ctx.metrics.total("snmp_traps_received") == 0


@pytest.mark.skipif(not NET_SNMP, reason=NO_NET_SNMP)
async def test_v3_trap_from_net_snmp_with_an_unconfigured_engine_id_is_told_apart_from_an_unknown_user(rig):
    base = ["snmptrap", "--clientaddr=127.0.1.2", "-v3", "-l", "authPriv", "-a", "SHA-256", "-A", "authpass123",
            "-x", "AES", "-X", "privpass123", "-e", "0x8000000001deadbeef", f"127.0.0.1:{rig.adapter.trap_port}", "1",
            "1.3.6.1.6.3.1.1.5.1"]
    for user in ("trapuser", "nobody"):
        code, _, err = await run_tool(*base[:2], "-u", user, *base[2:])
        assert code == 0, err
    await eventually(lambda: rig.ctx.metrics.total("snmp_traps_rejected") >= 2, what="rejections counted")
    assert rig.ctx.metrics.total("snmp_traps_rejected", reason="unknown_engine_id") == 1
    assert rig.ctx.metrics.total("snmp_traps_rejected", reason="unknown_user") == 1
    assert rig.ctx.state("sw-2") == "faulty"


async def test_agent_going_silent_mid_walk_marks_it_offline_and_others_carry_on(rig):
    ctx, sim = rig.ctx, rig.sim
    await ctx.wait_for(lambda: all(ctx.state(d) == "online" for d in ("sw-1", "sw-2", "ups-1")))
    sim.misbehave("sw-1", answer_limit=2)  # the GET and the first bulk of the walk, then nothing
    await ctx.wait_for(lambda: ctx.state("sw-1") == "offline", what="sw-1 offline")
    assert "no SNMP answer" in ctx.records["sw-1"].reason
    assert ctx.metrics.total("snmp_polls", result="timeout") >= 1
    ok_before = polls(rig)
    await eventually(lambda: polls(rig) >= ok_before + 4, what="other devices still polled")
    assert ctx.state("sw-2") == "online" and ctx.state("ups-1") == "online"
    sim.misbehave("sw-1", silent=False)
    await ctx.wait_for(lambda: ctx.state("sw-1") == "online", what="sw-1 back")


async def test_agent_answering_errors_is_faulty(rig):
    ctx = rig.ctx
    await ctx.wait_for(lambda: ctx.state("ups-1") == "online")
    rig.sim.misbehave("ups-1", error_after=0)
    await ctx.wait_for(lambda: ctx.state("ups-1") == "faulty", what="ups-1 faulty")
    assert "SNMP error" in ctx.records["ups-1"].reason and "genErr" in ctx.records["ups-1"].reason


async def test_no_mib_file_io_on_the_loop_while_polling_and_receiving(rig):
    loop_thread = threading.get_ident()
    opened: list[str] = []
    watching = True

    def hook(event, args):
        if watching and event == "open" and threading.get_ident() == loop_thread:
            opened.append(str(args[0]))

    sys.addaudithook(hook)  # cannot be removed: it goes quiet when the test ends
    try:
        start = polls(rig)
        await rig.sim.port_down("sw-1", 4)
        await rig.ctx.wait_for_event("network.link_down", source_device_id="sw-1")
        await eventually(lambda: polls(rig) >= start + 6)
    finally:
        watching = False
    assert [path for path in opened if "mib" in path.lower() or path.endswith((".py", ".pyc"))] == []


async def test_a_trap_from_an_unknown_sender_is_kept_counted_and_not_attributed(rig):
    with structlog.testing.capture_logs() as logs:
        send_raw(rig.adapter.trap_port, vectors.V2C_LINK_DOWN, vectors.V2C_LINK_DOWN, vectors.V2C_LINK_DOWN,
                 source="127.0.2.99")
        # kept under its address as device id: the hub's pipeline flags it unknown_device
        await rig.ctx.wait_for(lambda: len(rig.ctx.of_type("network.link_down")) == 3, what="three kept")
    event = rig.ctx.of_type("network.link_down")[0]
    assert (event.source_device_id, event.attributes["source_address"], event.attributes["port"],
            event.attributes["source"]) == ("127.0.2.99", "127.0.2.99", "7", "trap")
    assert event.raw.data == vectors.V2C_LINK_DOWN
    assert rig.ctx.metrics.total("snmp_traps_unknown_sender") == 3
    # logged once per sender: a chatty unconfigured device must not flood the log
    assert len([e for e in logs if e["event"] == "snmp.trap.unknown_sender"]) == 1


async def test_v3_trap_with_an_unconfigured_engine_id_says_what_was_wrong():
    rig = await Rig.start(trap_version="v3")  # ups-1 has no engine_id option
    try:
        with structlog.testing.capture_logs() as logs:
            await rig.sim.mains("ups-1", False)
            await rig.ctx.wait_for(lambda: rig.ctx.state("ups-1") == "faulty", what="ups-1 faulty")
        engine_id = rig.sim.device("ups-1").engine_id.hex()
        assert rig.ctx.records["ups-1"].reason == (
            f"traps rejected: engine id {engine_id} is not configured for SNMPv3 user trapuser")
        assert rig.ctx.metrics.total("snmp_traps_rejected", reason="unknown_engine_id") >= 1
        assert rig.ctx.metrics.total("snmp_traps_rejected", reason="unknown_user") == 0
        rejected = [e for e in logs if e["event"] == "snmp.trap.rejected"]
        assert rejected and all(e["reason"] == "unknown_engine_id" and e["engine_id"] == engine_id
                                and e["user"] == "trapuser" for e in rejected)
    finally:
        await rig.stop()


async def test_datagram_read_just_before_close_is_dropped_without_an_error():
    """A datagram read from the socket is processed on the next loop turn; if the receiver closed
    in between (adapter shutdown), it is dropped, not fed to the closed engine."""
    from pysnmp.carrier.asyncio.dgram import udp

    from adapters.snmp.receiver import TrapReceiver

    errors, notifications, rejections = [], [], []
    receiver = await TrapReceiver.start(host="127.0.0.1", port=0, communities=["public"], users=[],
                                        on_notification=notifications.append, on_rejection=rejections.append,
                                        on_error=lambda exc, source: errors.append(exc))
    transport = receiver.engine.transport_dispatcher.get_transport(udp.DOMAIN_NAME)
    transport.datagram_received(vectors.V2C_LINK_DOWN, ("127.0.1.1", 40000))  # as the socket read does
    receiver.close()
    await asyncio.sleep(0.01)
    assert (errors, notifications, rejections) == ([], [], [])
