"""The Modbus link's response checks on answers from a Modbus TCP peer, over an in-memory connection.

Each input is one answer to one of a panel's read requests. The link's own pymodbus client sends
the request (real framer, transaction manager and PDU decoder); an in-memory peer answers it as
the input says, and :meth:`Link._read` judges the answer (exception, short answer, bad value, an
answer to an older request arriving late, no answer). The peer *repairs* what would make pymodbus
drop the answer outright (transaction id, MBAP length, function code, byte count) unless a flag
says not to, so most inputs reach our checks rather than pymodbus' framer.

Why in memory: over loopback TCP each input cost a socket round trip and every unanswered request
a real timeout (~158 executions/s). Here the client's transport is an in-memory one set up per
connection (``connect()`` still runs, through pymodbus' own ``call_create`` hook) and the event
loop keeps virtual time: when nothing is ready it jumps to the next timer, so a timeout takes no
wall time. What pymodbus and the link do with the bytes is unchanged.

Input: flags byte, request byte (bits 0-6: which of the panel's requests, ``% 3``; bit 7: the answer goes
through the link's answer-pairing framer, as :meth:`Link._poll` installs it on every connection),
then the answer's payload. Contract: ``_read`` raises nothing but LinkLost (the link reconnects).
"""
from __future__ import annotations

import asyncio
import logging
import selectors
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

import structlog  # noqa: E402
from pymodbus.client import AsyncModbusTcpClient  # noqa: E402
from pymodbus.framer import FramerSocket, FramerType  # noqa: E402
from pymodbus.pdu import DecodePDU  # noqa: E402

from adapters.modbus.link import Link, LinkLost, LinkSettings, Panel  # noqa: E402
from adapters.modbus.pairing import pairing_framer  # noqa: E402
from adapters.modbus.profile import DEFAULT_PROFILE_DIR, load_profile  # noqa: E402
from hub.spi.testing import RecordingContext  # noqa: E402

# the link logs every failed request; millions of them would be the whole run
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
# pymodbus raises from data_received on frames it cannot decode; asyncio logs and drops the connection
logging.getLogger("asyncio").setLevel(logging.CRITICAL)

EXCEPTION, RAW_PDU, LATE = 1, 2, 3  # answer modes (flags & 3; 0 is a normal answer)
KEEP_BYTE_COUNT, WRONG_UNIT, SPLIT, SILENT, TRAILING = 4, 8, 16, 0x60, 0x80
PAIRING = 0x80  # in the request byte
UNIT = 1
_TIMEOUT = 0.02


def _mbap(tid: int, unit: int, pdu: bytes) -> bytes:
    return tid.to_bytes(2, "big") + b"\x00\x00" + (len(pdu) + 1).to_bytes(2, "big") + bytes([unit]) + pdu


def answers(request: bytes, answer: bytes) -> list[bytes]:
    """The TCP writes that answer ``request`` (MBAP + function, start, count) as ``answer`` says."""
    flags, payload = (answer[0], answer[1:]) if answer else (0, b"")
    if flags & SILENT == SILENT:
        return []
    tid, function = int.from_bytes(request[:2], "big"), request[7]
    unit = UNIT + 1 if flags & WRONG_UNIT else UNIT
    mode = flags & 3
    if mode == EXCEPTION:
        pdu = bytes([function | 0x80, payload[0] if payload else 4])
    elif mode == RAW_PDU:
        pdu = payload
    else:
        count = payload[0] if flags & KEEP_BYTE_COUNT and payload else min(len(payload), 255)
        pdu = bytes([function, count]) + payload[:255]
    frame = _mbap(tid, unit, pdu)
    if mode == LATE:  # first the answer to the request before this one, then this one's
        frame = _mbap((tid - 1) & 0xFFFF, unit, bytes([function, 2, 0, 1])) + frame
    if flags & TRAILING:
        frame += payload[-3:]
    if flags & SPLIT:
        return [frame[:len(frame) // 2], frame[len(frame) // 2:]]
    return [frame]


class _VirtualTimeSelector(selectors.SelectSelector):
    """Nothing outside the process can become ready (the one connection is in memory), so a wait
    for the next timer is skipped: the clock jumps to it."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None):
        if timeout:
            self.now += timeout
        return []  # (no thread writes to the loop's self-pipe: its call_soon_threadsafe is unused)


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__(_VirtualTimeSelector())

    def time(self) -> float:
        return self._selector.now


class _PeerTransport(asyncio.Transport):
    """The client's end of an in-memory connection; the peer answers each 12-byte read request
    with the answer the current input describes, each of its writes arriving as one
    ``data_received`` on a later loop iteration (as a TCP segment would)."""

    answer: bytes = b""  # flags, then payload (set per input)

    def __init__(self, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self.protocol, self.buffer, self.closing = protocol, b"", False

    def write(self, data: bytes) -> None:
        self.buffer += data
        loop = asyncio.get_running_loop()
        while len(self.buffer) >= 12:
            request, self.buffer = self.buffer[:12], self.buffer[12:]
            for part in answers(request, _PeerTransport.answer):
                loop.call_soon(self._deliver, part)

    def _deliver(self, part: bytes) -> None:
        if self.closing:
            return
        try:
            self.protocol.data_received(part)
        except Exception as exc:  # noqa: BLE001 - as asyncio's socket transport: the connection is closed
            self._close(exc)

    def close(self) -> None:
        self._close(None)

    def _close(self, exc: Exception | None) -> None:
        if not self.closing:
            self.closing = True
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, exc)

    def is_closing(self) -> bool:
        return self.closing

    def abort(self) -> None:
        self.close()


_PROFILE = load_profile(DEFAULT_PROFILE_DIR / "generic.yaml")
_CTX = RecordingContext("modbus-fuzz")
_PANEL = Panel.build("panel-1", UNIT, _PROFILE, None)
_LOOP = _VirtualTimeLoop()
asyncio.set_event_loop(_LOOP)
_LINK = Link(_CTX, "127.0.0.1", 502, "tcp", [_PANEL], LinkSettings(timeout=_TIMEOUT, drop_after_timeouts=1 << 30))
_PLAIN_FRAMER = FramerSocket(DecodePDU(False))  # what the client makes for FramerType.SOCKET
_PAIRING_FRAMER = pairing_framer(FramerType.SOCKET, _LINK._pairing)  # built once: a class per call
_client: list[AsyncModbusTcpClient] = []


def _in_memory(client: AsyncModbusTcpClient):
    """pymodbus' ``call_create`` (what ``loop.create_connection`` is otherwise): a protocol
    from the client's own factory, made its connection as asyncio would."""
    async def create() -> tuple[asyncio.Transport, asyncio.Protocol]:
        protocol = client.ctx.handle_new_connection()
        transport = _PeerTransport(protocol)
        protocol.connection_made(transport)
        return transport, protocol
    return create


async def _connected(pairing: bool) -> AsyncModbusTcpClient:
    if _client and _client[0].connected:
        client = _client[0]
    else:
        if _client:
            _client.pop().close()
        client = AsyncModbusTcpClient("127.0.0.1", port=502, timeout=_TIMEOUT, retries=0, reconnect_delay=0)
        client.set_max_no_responses(1 << 30)
        client.ctx.call_create = _in_memory(client)
        await client.connect()
        _client.append(client)
    # Link._poll puts the pairing framer on every connection; pymodbus' own is the other choice.
    client.ctx.framer = _PAIRING_FRAMER if pairing else _PLAIN_FRAMER
    return client


async def _read(request_byte: int) -> None:
    client = await _connected(bool(request_byte & PAIRING))
    request = _PANEL.requests[(request_byte & ~PAIRING) % len(_PANEL.requests)]
    try:
        await _LINK._read(client, _PANEL, request)
    except LinkLost:
        _CTX.metrics.count("disconnects", link=_LINK.name)  # as Link.run counts it, then reconnects
        _client.pop().close()
    if _PANEL.failing:  # start the next input on a clean connection (no half-read answer left)
        _PANEL.failing.clear()
        if _client:
            _client.pop().close()
        _LINK._pairing.forget()


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    if len(data) < 2:
        return
    _PeerTransport.answer = data[:1] + data[2:]
    _LOOP.run_until_complete(_read(data[1]))
    _CTX.events.clear()
    _CTX.metrics.observations.clear()


def seeds() -> dict[str, bytes]:
    words = lambda *values: b"".join(v.to_bytes(2, "big") for v in values)  # noqa: E731
    return {  # requests (generic profile): 0 panel (2 words), 1 zones (32), 2 points (64)
        "panel-alarm": bytes([0, 0]) + words(0b1, 2730),
        "zones": bytes([0, 1]) + words(*range(32)),
        "points": bytes([0, 2]) + words(*([1, 0, 2, 3] * 16)),
        "short-answer": bytes([0, 1]) + words(1, 2, 3),
        "exception-gateway": bytes([EXCEPTION, 0, 11]),
        "late-answer": bytes([LATE, 0]) + words(0, 2700),
        "wrong-unit": bytes([WRONG_UNIT, 0]) + words(0, 2700),
        "split-frame": bytes([SPLIT, 1]) + words(*range(32)),
        "wrong-byte-count": bytes([KEEP_BYTE_COUNT, 0, 9]) + words(1, 2),
        "raw-pdu-other-function": bytes([RAW_PDU, 0, 0x2B, 0x0E, 0x01]),
        "no-answer": bytes([SILENT, 0]),
        "pairing-late-answer": bytes([LATE, PAIRING]) + words(0, 2700),
        "pairing-zones": bytes([0, PAIRING | 1]) + words(*range(32)),
        "pairing-no-answer": bytes([SILENT, PAIRING | 2]),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput, packages=("pymodbus.framer", "pymodbus.pdu", "pymodbus.transaction"))
