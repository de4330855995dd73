"""Hostile and broken input: protocol-correct answers, counters, and the receiver keeps serving."""
from __future__ import annotations

import asyncio
import datetime as dt

from adapters.sia.crc import crc16_arc
from adapters.sia.crypto import parse_key
from adapters.sia.frame import Frame, decode_frame, encode_frame
from hub.spi.testing import eventually

from .helpers import HEX_KEY, exchange, start_receiver


def now_naive() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


async def test_garbage_truncated_and_oversized_frames_then_a_good_one_on_the_same_connection():
    receiver = await start_receiver(max_frame_bytes=128)
    reader, writer = await asyncio.open_connection(*receiver.tcp)
    try:
        good = encode_frame(Frame("SIA-DCS", 1, account="1234", data="#1234|NPA01", timestamp=now_naive()))
        writer.write(b"\x00\xffGET / HTTP/1.1\r\n")  # garbage, including a stray CR
        writer.write(good[:20])  # truncated: the rest never comes...
        writer.write(b"\n" + b"9" * 300 + b"\r")  # ...an oversized frame instead
        writer.write(good)
        await writer.drain()
        answer = await asyncio.wait_for(reader.readuntil(b"\r"), 3)
        assert decode_frame(answer).id == "ACK" and decode_frame(answer).sequence == 1
        assert [e.type for e in receiver.ctx.events] == ["panic.alarm"]
        assert receiver.ctx.metrics.total("bytes_discarded", reason="garbage") > 0
        assert receiver.ctx.metrics.total("bytes_discarded", reason="oversized") > 0
    finally:
        writer.close()
        await receiver.stop()


async def test_bad_crc_and_bad_length_get_no_answer():
    receiver = await start_receiver()
    try:
        raw = encode_frame(Frame("SIA-DCS", 2, account="1234", data="#1234|NFA01", timestamp=now_naive()))
        bad_crc = raw[:1] + b"%04X" % (int(raw[1:5], 16) ^ 0x10) + raw[5:]
        bad_length = raw[:5] + b"%04X" % (int(raw[5:9], 16) + 1) + raw[9:]
        assert await exchange(receiver.tcp, bad_crc, timeout=0.5) == b""
        assert await exchange(receiver.tcp, bad_length, timeout=0.5) == b""
        assert receiver.ctx.metrics.total("frames", reason="crc") == 1
        assert receiver.ctx.metrics.total("frames", reason="length") == 1
        assert not receiver.ctx.events
    finally:
        await receiver.stop()


async def test_simulator_bad_crc_switch_gets_silence_and_retries():
    receiver = await start_receiver()
    tx = await receiver.transmitter("1234", bad_crc=True, ack_timeout_s=0.2, attempts=3)
    try:
        delivery = await tx.send_sia("PA", 1)
        assert delivery.outcome == "timeout" and delivery.attempts == 3
        assert receiver.ctx.metrics.total("frames", reason="crc") == 3 and not receiver.ctx.events
    finally:
        await tx.stop()
        await receiver.stop()


async def test_unknown_account_and_unreadable_header_get_nak_with_our_time():
    receiver = await start_receiver()
    try:
        raw = encode_frame(Frame("SIA-DCS", 3, account="FFFF", data="#FFFF|NPA01", timestamp=now_naive()))
        nak = decode_frame(await exchange(receiver.tcp, raw))
        assert nak.id == "NAK" and nak.sequence == 0 and not nak.encrypted
        assert abs((nak.timestamp - now_naive()).total_seconds()) < 5
        content = b'"SIA-DCS"03R0L0#1234[#1234|NPA01]'  # sequence has two digits
        headless = b"\n%04X%04X" % (crc16_arc(content), len(content)) + content + b"\r"
        assert decode_frame(await exchange(receiver.tcp, headless)).id == "NAK"
        assert receiver.ctx.metrics.total("frames", reason="unknown_account") == 1
        assert receiver.ctx.metrics.total("frames", reason="header") == 1
    finally:
        await receiver.stop()


async def test_unknown_message_id_and_unreadable_data_get_duh():
    receiver = await start_receiver()
    try:
        odd = encode_frame(Frame("ACK", 4, account="1234"))  # a response sent to a receiver
        duh = decode_frame(await exchange(receiver.tcp, odd))
        assert (duh.id, duh.sequence, duh.account) == ("DUH", 4, "1234")
        bad_data = encode_frame(Frame("ADM-CID", 5, account="1234", data="#1234|1130-01-015", timestamp=now_naive()))
        assert decode_frame(await exchange(receiver.tcp, bad_data)).id == "DUH"
        assert receiver.ctx.metrics.total("frames", outcome="duh") == 2 and not receiver.ctx.events
    finally:
        await receiver.stop()


async def test_wrong_key_and_plaintext_for_an_encrypted_account_get_nak():
    receiver = await start_receiver()
    wrong = await receiver.transmitter("A1B2", key=HEX_KEY, key_format="hex", wrong_key=True, attempts=1)
    plain = await receiver.transmitter("A1B2", attempts=1)
    try:
        assert (await wrong.send_sia("PA", 1)).outcome == "NAK"
        assert (await plain.send_sia("PA", 1)).outcome == "NAK"
        assert receiver.ctx.metrics.total("frames", reason="decrypt") == 1
        assert receiver.ctx.metrics.total("frames", reason="encryption_required") == 1
        assert not receiver.ctx.events and receiver.ctx.state("hex-1") == "unknown"  # no proof of life
    finally:
        await wrong.stop()
        await plain.stop()
        await receiver.stop()


async def test_skewed_clock_gets_nak_and_the_panel_corrects_itself():
    receiver = await start_receiver()
    stubborn = await receiver.transmitter("1234", clock_skew_s=600, resync_clock=False, attempts=2)
    learner = await receiver.transmitter("1234", clock_skew_s=-3600)
    try:
        refused = await stubborn.send_sia("BA", 1)
        assert refused.outcome == "NAK" and refused.attempts == 1  # a NAK is final when not resyncing
        corrected = await learner.send_sia("BA", 2)
        assert corrected.outcome == "ACK" and corrected.attempts == 2
        assert receiver.ctx.metrics.total("frames", reason="timestamp") == 2
        assert [e.attributes["zone"] for e in receiver.ctx.events] == ["02"]
    finally:
        await stubborn.stop()
        await learner.stop()
        await receiver.stop()


async def test_replayed_encrypted_frame_is_refused_once_stale():
    receiver = await start_receiver()
    try:
        key = parse_key(HEX_KEY, "hex")
        old = now_naive() - dt.timedelta(minutes=5)
        captured = encode_frame(Frame("SIA-DCS", 9, account="A1B2", data="#A1B2|NPA01", timestamp=old,
                                      encrypted=True), key)
        assert decode_frame(await exchange(receiver.tcp, captured)).id == "NAK"
        assert not receiver.ctx.events
        assert receiver.ctx.state("hex-1") == "unknown"  # a replay is no proof of life
    finally:
        await receiver.stop()


async def test_connection_flood_is_capped_and_a_panel_still_gets_through():
    receiver = await start_receiver(max_connections=5)
    streams = []
    try:
        for _ in range(30):
            streams.append(await asyncio.open_connection(*receiver.tcp))
        await eventually(lambda: receiver.ctx.metrics.total("connections_refused") == 25, what="refusals counted")
        assert len(receiver.adapter.connections) == 5
        for _, writer in streams:
            writer.close()
        streams.clear()
        await eventually(lambda: not receiver.adapter.connections, what="connections closed")
        tx = await receiver.transmitter("1234")
        assert (await tx.send_sia("PA", 9)).outcome == "ACK"
        await tx.stop()
    finally:
        for _, writer in streams:
            writer.close()
        await receiver.stop()


async def test_idle_connections_are_closed():
    receiver = await start_receiver(idle_timeout_s=0.2)
    reader, writer = await asyncio.open_connection(*receiver.tcp)
    try:
        writer.write(b"\n1234")  # a frame that never ends
        assert await asyncio.wait_for(reader.read(), 3) == b""
        assert receiver.ctx.metrics.total("idle_timeouts") == 1
    finally:
        writer.close()
        await receiver.stop()


async def test_one_bad_panel_does_not_affect_another():
    receiver = await start_receiver()
    good = await receiver.transmitter("1234")
    reader, writer = await asyncio.open_connection(*receiver.tcp)
    try:
        async def hostile():
            for _ in range(200):
                writer.write(b"\n\x00\x01garbage" * 10 + b"\r")
                await writer.drain()
        flood = asyncio.ensure_future(hostile())
        results = [await good.send_sia("PA", zone) for zone in range(1, 6)]
        await flood
        assert [r.outcome for r in results] == ["ACK"] * 5 and len(receiver.ctx.events) == 5
    finally:
        writer.close()
        await good.stop()
        await receiver.stop()


async def test_udp_garbage_and_oversized_datagrams():
    receiver = await start_receiver(max_frame_bytes=100)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, remote_addr=receiver.udp)
    try:
        transport.sendto(b"garbage")
        transport.sendto(b"\n" + b"A" * 400 + b"\r")
        tx = await receiver.transmitter("1234", transport="udp")
        assert (await tx.send_sia("MA", 2)).outcome == "ACK"
        await tx.stop()
        assert receiver.ctx.metrics.total("bytes_discarded", transport="udp") >= 2
    finally:
        transport.close()
        await receiver.stop()


async def test_receiver_stopping_mid_journal_sends_no_ack():
    receiver = await start_receiver(journal_delay=0.5)
    reader, writer = await asyncio.open_connection(*receiver.tcp)
    try:
        writer.write(encode_frame(Frame("SIA-DCS", 1, account="1234", data="#1234|NPA01", timestamp=now_naive())))
        await writer.drain()
        await eventually(lambda: receiver.ctx.metrics.total("frames", outcome="ack") == 1, what="frame assessed")
        await receiver.stop()  # the hub shuts the adapter down while the journal is still writing
        try:
            rest = await asyncio.wait_for(reader.read(), 3)
        except ConnectionResetError:  # aborted, which is as good: nothing was acknowledged
            rest = b""
        assert rest == b""  # closed without an ACK: the panel sends the message again
    finally:
        writer.close()
