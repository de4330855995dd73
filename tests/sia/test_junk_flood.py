"""A megabyte of junk on the SIA port: counted byte for byte, logged a few lines per connection
(not one warning per line feed), and the receiver keeps serving."""
from __future__ import annotations

import asyncio
import random

import pytest
import structlog
from structlog.testing import capture_logs

from adapters.sia.frame import Frame, decode_frame, encode_frame
from adapters.sia.framer import Discarded, FrameSplitter
from adapters.sia.peer_warnings import PeerWarnings

from hub.spi.testing import eventually

from .helpers import start_receiver
from .test_bad_input import now_naive

MIB = 1 << 20
JUNK_LOG_EVENTS = {"sia.bytes_discarded", "sia.frame_rejected", "sia.junk_suppressed"}


def text_lines(size: int) -> bytes:
    """CRLF text lines (a terminal, a misdirected HTTP client), ~2,000 line feeds per MiB."""
    rng = random.Random(13)
    lines, total = [], 0
    while total < size:
        line = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz ABC0123456789", k=rng.randrange(400, 620)))
        lines.append(line.encode() + b"\r\n")
        total += len(lines[-1])
    return b"".join(lines)[:size]


def random_bytes(size: int) -> bytes:
    return random.Random(7).randbytes(size)


async def flood(address, junk: bytes) -> bytes:
    """Send ``junk``, a CR (ending whatever frame candidate the junk left open) and a good frame on
    one connection; the answer to the good frame."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        for start in range(0, len(junk), 64 * 1024):
            writer.write(junk[start:start + 64 * 1024])
            await writer.drain()
        writer.write(b"\r" + encode_frame(Frame("SIA-DCS", 1, account="1234", data="#1234|NPA01",
                                                timestamp=now_naive())))
        await writer.drain()
        return await asyncio.wait_for(reader.readuntil(b"\r"), 30)
    finally:
        writer.close()


def expected_counts(junk: bytes, max_frame_bytes: int) -> tuple[int, int]:
    """(frame candidates, bytes discarded) in ``junk`` + CR, as the DC-09 framing defines them."""
    items = FrameSplitter(max_frame_bytes).feed(junk + b"\r")
    return (sum(isinstance(item, bytes) for item in items),
            sum(item.size for item in items if isinstance(item, Discarded)))


@pytest.mark.parametrize("junk", [text_lines(MIB), random_bytes(MIB)], ids=["text-lines", "random-bytes"])
async def test_a_mebibyte_of_junk_is_counted_exactly_and_logged_briefly(junk):
    candidates, discarded = expected_counts(junk, 1024)
    assert candidates > 1000  # the junk has a line feed per few hundred bytes
    with capture_logs() as logs:
        receiver = await start_receiver(max_frame_bytes=1024)
        try:
            answer = await flood(receiver.tcp, junk)
            assert decode_frame(answer).id == "ACK"
            await eventually(lambda: not receiver.adapter.connections, what="the connection to close")
        finally:
            await receiver.stop()
    metrics = receiver.ctx.metrics
    # Counters are exact whatever the log shows: every candidate frame and every discarded byte.
    assert metrics.total("frames", transport="tcp") == candidates + 1
    assert metrics.total("frames", outcome="ack") == 1
    assert metrics.total("bytes_discarded", transport="tcp") == discarded
    assert [e.type for e in receiver.ctx.events] == ["panic.alarm"]
    junk_lines = [entry for entry in logs if entry["event"] in JUNK_LOG_EVENTS]
    assert len(junk_lines) <= 12, f"{len(junk_lines)} log lines for one connection's junk"
    # What was not logged line by line is summed up, exactly, when the connection ends.
    (summary,) = [entry for entry in logs if entry["event"] == "sia.junk_suppressed"]
    logged_frames = sum(entry["event"] == "sia.frame_rejected" for entry in junk_lines)
    logged_discards = [entry["size"] for entry in junk_lines if entry["event"] == "sia.bytes_discarded"]
    assert summary["frames_rejected"] + logged_frames == candidates
    assert summary["bytes_discarded"] + sum(logged_discards) == discarded


async def test_junk_datagrams_are_rate_limited_per_source_address():
    with capture_logs() as logs:
        receiver = await start_receiver(tcp_port=None, udp_port=0)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, remote_addr=receiver.udp)
        try:
            for batch in range(0, 300, 50):  # in batches: the kernel drops what overflows a socket's buffer
                for number in range(batch, batch + 50):
                    transport.sendto(b"junk %d\n not a frame\r" % number)
                await eventually(lambda: receiver.ctx.metrics.total("frames", transport="udp") == batch + 50,
                                 what=f"{batch + 50} frames")
        finally:
            transport.close()
            await receiver.stop()
    assert receiver.ctx.metrics.total("bytes_discarded", transport="udp", reason="garbage") == \
        sum(len(b"junk %d" % n) for n in range(300))
    junk_lines = [entry for entry in logs if entry["event"] in JUNK_LOG_EVENTS]
    assert len(junk_lines) <= 12
    (summary,) = [entry for entry in logs if entry["event"] == "sia.junk_suppressed"]
    logged = sum(entry["event"] == "sia.frame_rejected" for entry in junk_lines)
    assert summary["frames_rejected"] + logged == 300


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_peer_warnings_burst_then_summaries_then_news_again():
    clock = Clock()
    with capture_logs() as logs:
        warnings = PeerWarnings(structlog.get_logger("t"), "10.0.0.1:5", "tcp", burst=2, interval_s=60, clock=clock)
        for _ in range(5):
            warnings.rejected(reason="crc", detail="d")
        warnings.discarded("garbage", 100)
        clock.now = 61.0
        warnings.discarded("garbage", 10)  # the period is over: summed up now
        clock.now = 200.0
        warnings.rejected(reason="header", detail="quiet for long: logged in full again")
        warnings.flush()  # nothing pending: no line
    assert [(e["event"], e.get("reason")) for e in logs] == [
        ("sia.frame_rejected", "crc"), ("sia.frame_rejected", "crc"), ("sia.junk_suppressed", None),
        ("sia.frame_rejected", "header")]
    assert logs[1]["further"] == "summed up in sia.junk_suppressed"
    summary = logs[2]
    assert (summary["frames_rejected"], summary["bytes_discarded"], summary["reasons"], summary["over_s"]) == (
        3, 110, {"crc": 3, "garbage": 2}, 61.0)
