"""The receiver adapter against our transmitter simulator over loopback TCP and UDP."""
from __future__ import annotations

import asyncio
import datetime as dt
import socket

from adapters.sia.content import EventCode, Modifier
from adapters.sia.frame import Frame, XData, decode_frame, encode_frame, parse_envelope
from hub.events import Category, Severity, State, timestamp_seconds
from hub.spi.testing import eventually

from .helpers import ASCII_KEY, HEX_KEY, exchange, panel, start_receiver


async def test_panic_is_journaled_before_the_ack():
    receiver = await start_receiver(journal_delay=0.2)
    tx = await receiver.transmitter("1234")
    try:
        delivery = await tx.send_sia("PA", 1, area=1)
        assert delivery.outcome == "ACK" and delivery.attempts == 1
        # The ACK is out, so the event must already be in the journal (which took 0.2 s).
        (event,) = receiver.ctx.events
        assert (event.type, event.category, event.severity, event.state) == (
            "panic.alarm", Category.CATEGORY_PANIC, Severity.SEVERITY_CRITICAL, State.STATE_RAISED)
        assert event.source_device_id == "plain-1"
        assert event.attributes["zone"] == "01" and event.attributes["area"] == "1"
        assert event.attributes["account"] == "1234" and event.raw.protocol == "sia-dc09"
        assert decode_frame(event.raw.data).data == "#1234|Nri1/PA01"
        assert receiver.ctx.state("plain-1") == "online"
    finally:
        await tx.stop()
        await receiver.stop()


async def test_encrypted_contact_id_over_udp_with_ascii_key():
    receiver = await start_receiver()
    tx = await receiver.transmitter("C3D4", transport="udp", key=ASCII_KEY, key_format="ascii")
    try:
        delivery = await tx.send_contact_id(130, 15, partition=2)
        assert delivery.outcome == "ACK" and delivery.response.encrypted and delivery.response.timestamp
        event = await receiver.ctx.wait_for_event("intrusion.burglary")
        assert event.state == State.STATE_RAISED and event.source_device_id == "ascii-1"
        assert (event.attributes["zone"], event.attributes["partition"]) == ("015", "02")
        sent_at = dt.datetime.strptime(event.raw.text.rsplit("_", 1)[1], "%H:%M:%S,%m-%d-%Y")
        assert timestamp_seconds(event.occurred_at) == sent_at.replace(tzinfo=dt.UTC).timestamp()
        restore = await tx.send_contact_id(130, 15, qualifier="3", partition=2)
        assert restore.outcome == "ACK"
        assert receiver.ctx.events[-1].state == State.STATE_CLEARED
    finally:
        await tx.stop()
        await receiver.stop()


async def test_encrypted_multi_event_block_over_tcp_with_hex_key():
    receiver = await start_receiver()
    tx = await receiver.transmitter("A1B2", key=HEX_KEY, key_format="hex")
    try:
        fields = [Modifier("ri", "1"), EventCode("FA", "03"), EventCode("BA", "07"), Modifier("ri", "2"),
                  EventCode("AT", "")]
        delivery = await tx.send_block(fields, xdata=[XData("V", "rtsp://10.0.0.5/stream1")])
        assert delivery.outcome == "ACK" and delivery.response.encrypted
        assert [(e.type, e.attributes.get("zone"), e.attributes["area"]) for e in receiver.ctx.events] == [
            ("fire.alarm", "03", "1"), ("intrusion.burglary", "07", "1"), ("power.ac_loss", None, "2")]
        assert receiver.ctx.events[0].media[0].uri == "rtsp://10.0.0.5/stream1"
        assert "Nri1/FA03" in receiver.ctx.events[0].raw.text  # decrypted text kept for forensics
    finally:
        await tx.stop()
        await receiver.stop()


async def test_retry_is_acked_again_but_not_emitted_again():
    receiver = await start_receiver(journal_delay=0.05)
    try:
        stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        frame = Frame("SIA-DCS", 77, account="1234", data="#1234|NHA02", timestamp=stamp)
        first = await exchange(receiver.tcp, encode_frame(frame))
        again = await exchange(receiver.tcp, encode_frame(frame))
        assert decode_frame(first).id == decode_frame(again).id == "ACK"
        assert [e.type for e in receiver.ctx.events] == ["panic.holdup"]
        assert receiver.ctx.metrics.total("duplicates") == 1
        # Same sequence, different content: a new message, not a retry.
        other = Frame("SIA-DCS", 77, account="1234", data="#1234|NHH02", timestamp=stamp)
        assert decode_frame(await exchange(receiver.tcp, encode_frame(other))).id == "ACK"
        assert len(receiver.ctx.events) == 2
    finally:
        await receiver.stop()


async def test_simultaneous_retries_wait_for_the_same_journal_write():
    receiver = await start_receiver(journal_delay=0.3)
    try:
        stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        raw = encode_frame(Frame("SIA-DCS", 5, account="1234", data="#1234|NFA01", timestamp=stamp))
        answers = await asyncio.gather(*(exchange(receiver.tcp, raw) for _ in range(3)))
        assert [decode_frame(a).id for a in answers] == ["ACK"] * 3
        assert len(receiver.ctx.events) == 1
    finally:
        await receiver.stop()


async def test_no_ack_when_the_journal_fails_then_the_retry_lands_once():
    receiver = await start_receiver()
    tx = await receiver.transmitter("1234", ack_timeout_s=0.3, attempts=1)
    try:
        receiver.ctx.fail_emits = True
        failed = await tx.send_sia("FA", 4)
        assert failed.outcome == "timeout"
        assert receiver.ctx.metrics.total("journal_failed") == 1 and not receiver.ctx.events
        receiver.ctx.fail_emits = False
        tx.sequence, tx.ack_timeout_s = failed.sequence, 5.0  # the panel sends the same message again
        retried = await tx.send_sia("FA", 4)
        assert retried.outcome == "ACK" and [e.type for e in receiver.ctx.events] == ["fire.alarm"]
    finally:
        await tx.stop()
        await receiver.stop()


async def test_null_link_test_is_acked_without_events():
    receiver = await start_receiver()
    for transport in ("tcp", "udp"):
        tx = await receiver.transmitter("A1B2", transport=transport, key=HEX_KEY, key_format="hex")
        try:
            assert (await tx.send_null()).outcome == "ACK"
        finally:
            await tx.stop()
    assert not receiver.ctx.events and receiver.ctx.state("hex-1") == "online"
    await receiver.stop()


async def test_key_change_request_gets_rsp():
    receiver = await start_receiver()
    tx = await receiver.transmitter("A1B2", key=HEX_KEY, key_format="hex")
    try:
        delivery = await tx.send_sia("RP", 0, xdata=[XData("K", "")])
        assert delivery.outcome == "RSP" and delivery.response.encrypted
        assert receiver.ctx.of_type("system.test")
    finally:
        await tx.stop()
        await receiver.stop()


async def test_device_timezone_and_disabled_timestamp_check():
    devices = [panel("local-clock", "5555", device_timezone="Asia/Shanghai"),
               panel("no-clock", "6666", check_timestamp=False)]
    receiver = await start_receiver(devices)
    local = await receiver.transmitter("5555", clock_skew_s=8 * 3600, resync_clock=False)
    broken = await receiver.transmitter("6666", clock_skew_s=-86400, resync_clock=False)
    try:
        assert (await local.send_sia("BA", 1)).outcome == "ACK"
        event = receiver.ctx.events[-1]
        skew = timestamp_seconds(event.occurred_at) - timestamp_seconds(event.received_at)
        assert -5 < skew < 5  # local time was converted to UTC
        assert (await broken.send_sia("BA", 1)).outcome == "ACK"
    finally:
        await local.stop()
        await broken.stop()
        await receiver.stop()


async def test_supervision_reports_offline_then_online():
    devices = [panel("box-1", "7777", supervision_s=0.5), panel("box-2", "8888", supervision_s=60)]
    receiver = await start_receiver(devices)
    tx = await receiver.transmitter("7777")
    try:
        await receiver.ctx.wait_for(lambda: receiver.ctx.state("box-1") == "offline", what="box-1 offline")
        assert "communication failure" in receiver.ctx.records["box-1"].reason
        assert (await tx.send_null()).outcome == "ACK"
        assert receiver.ctx.state("box-1") == "online"
        assert receiver.ctx.state("box-2") == "unknown"  # its interval has not passed
        assert [s for s, _ in receiver.ctx.records["box-1"].transitions][:2] == ["offline", "online"]
        await receiver.ctx.wait_for(lambda: receiver.ctx.state("box-1") == "offline", what="box-1 offline again")
        assert receiver.ctx.metrics.total("supervision_expired") >= 2
    finally:
        await tx.stop()
        await receiver.stop()


async def test_unmapped_codes_emit_or_duh():
    receiver = await start_receiver()
    tx = await receiver.transmitter("1234")
    try:
        assert (await tx.send_sia("ZZ", 3)).outcome == "ACK"
        assert receiver.ctx.events[-1].type == "system.unmapped_code"
        assert receiver.ctx.events[-1].attributes["code"] == "ZZ"
    finally:
        await tx.stop()
        await receiver.stop()
    receiver = await start_receiver(unmapped_codes="duh")
    tx = await receiver.transmitter("1234")
    try:
        assert (await tx.send_sia("ZZ", 3)).outcome == "DUH" and not receiver.ctx.events
    finally:
        await tx.stop()
        await receiver.stop()


async def test_many_panels_at_once_over_tcp_and_udp():
    accounts = [f"{0x2000 + n:X}" for n in range(30)]
    devices = [panel(f"panel-{a}", a, **({"key": HEX_KEY, "key_format": "hex"} if n % 3 == 2 else {}))
               for n, a in enumerate(accounts)]
    receiver = await start_receiver(devices, journal_delay=0.01)

    async def panel_life(n: int, account: str) -> list[str]:
        key = {"key": HEX_KEY, "key_format": "hex"} if n % 3 == 2 else {}
        tx = await receiver.transmitter(account, transport="udp" if n % 3 == 1 else "tcp", ack_timeout_s=5, **key)
        try:
            return [(await tx.send_sia("BA", zone)).outcome for zone in range(1, 6)]
        finally:
            await tx.stop()

    try:
        outcomes = await asyncio.gather(*(panel_life(n, a) for n, a in enumerate(accounts)))
        assert all(o == ["ACK"] * 5 for o in outcomes)
        seen = sorted((e.source_device_id, e.attributes["zone"]) for e in receiver.ctx.events)
        assert seen == sorted((f"panel-{a}", f"{z:02d}") for a in accounts for z in range(1, 6))
    finally:
        await receiver.stop()


async def test_old_panel_with_binary_crc_is_answered_in_kind():
    receiver = await start_receiver()
    try:
        stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        raw = encode_frame(Frame("SIA-DCS", 8, account="1234", data="#1234|NFA02", timestamp=stamp), binary_crc=True)
        reader, writer = await asyncio.open_connection(*receiver.tcp)
        writer.write(raw)
        answer = await asyncio.wait_for(reader.readexactly(7 + len(b'"ACK"0008L0#1234[]') + 1), 3)
        writer.close()
        assert parse_envelope(answer).binary_crc and decode_frame(answer).id == "ACK"
        assert receiver.ctx.events[0].raw.text.startswith('"SIA-DCS"0008L0#1234[')
    finally:
        await receiver.stop()


async def test_pipelined_frames_are_answered_in_order_with_back_pressure():
    receiver = await start_receiver(journal_delay=0.01, max_pending_frames=4)
    stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    burst = b"".join(encode_frame(Frame("SIA-DCS", n, account="1234", data=f"#1234|NBA{n:02d}", timestamp=stamp))
                     for n in range(1, 41))
    reader, writer = await asyncio.open_connection(*receiver.tcp)
    try:
        writer.write(burst)  # one write, forty frames: more than max_pending_frames at once
        answers = [decode_frame(await asyncio.wait_for(reader.readuntil(b"\r"), 5)) for _ in range(40)]
        assert [(a.id, a.sequence) for a in answers] == [("ACK", n) for n in range(1, 41)]
        assert [e.attributes["zone"] for e in receiver.ctx.events] == [f"{n:02d}" for n in range(1, 41)]
    finally:
        writer.close()
        await receiver.stop()


async def test_panel_connections_send_answers_without_nagle_delay():
    # With Nagle, an ACK waits while an earlier ACK is unacknowledged: pipelined frames then meet
    # the panel's delayed ACK (~40 ms each). Our answers are small and awaited, so TCP_NODELAY.
    receiver = await start_receiver()
    reader, writer = await asyncio.open_connection(*receiver.tcp)
    try:
        stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        writer.write(encode_frame(Frame("SIA-DCS", 1, account="1234", data="#1234|NBA01", timestamp=stamp)))
        assert decode_frame(await asyncio.wait_for(reader.readuntil(b"\r"), 5)).id == "ACK"
        [connection] = receiver.adapter.connections
        assert connection.transport.getTcpNoDelay()
    finally:
        writer.close()
        await receiver.stop()


async def test_answers_stay_in_order_when_the_socket_cannot_take_them_at_once():
    # Answers are sent directly while the socket takes them whole; a full send buffer must hand
    # the rest, and every later answer, to Twisted's buffer in order. Tiny buffers and a panel
    # that reads nothing until it has sent everything make the sends partial.
    frames = 2000
    receiver = await start_receiver(max_pending_frames=frames)
    loop = asyncio.get_running_loop()
    stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    panel_socket = socket.socket()
    panel_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # before connecting: the window
    panel_socket.setblocking(False)
    try:
        await loop.sock_connect(panel_socket, receiver.tcp)
        await eventually(lambda: receiver.adapter.connections, what="connection")
        [connection] = receiver.adapter.connections
        connection.transport.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 2048)
        await loop.sock_sendall(panel_socket, b"".join(
            encode_frame(Frame("SIA-DCS", n, account="1234", data=f"#1234|NBA{n:04d}", timestamp=stamp))
            for n in range(1, frames + 1)))
        await eventually(lambda: len(receiver.ctx.events) == frames, what="all journaled")
        assert not connection.direct_send, "the test did not fill the socket buffer"
        received = b""
        while received.count(b"\r") < frames:
            received += await asyncio.wait_for(loop.sock_recv(panel_socket, 65536), 5)
        answers = [decode_frame(raw + b"\r") for raw in received.split(b"\r")[:-1]]
        assert [(a.id, a.sequence) for a in answers] == [("ACK", n) for n in range(1, frames + 1)]
    finally:
        panel_socket.close()
        await receiver.stop()
