"""The Modbus link's response checks on answers from a real Modbus TCP peer on loopback.

Each input is one answer to one of a panel's read requests, sent by a loopback server to the
link's own pymodbus client; :meth:`Link._read` then judges it (exception, short answer, bad value,
an answer to an older request arriving late, no answer). The server *repairs* what would make
pymodbus drop the answer outright (transaction id, MBAP length, function code, byte count) unless
a flag says not to, so most inputs reach our checks rather than pymodbus' framer.

Input: flags byte, request byte (which of the panel's requests), then the answer's payload.
Contract: ``_read`` raises nothing but LinkLost (the link reconnects).
"""
from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

import structlog  # noqa: E402
from pymodbus.client import AsyncModbusTcpClient  # noqa: E402

from adapters.modbus.link import Link, LinkLost, LinkSettings, Panel  # noqa: E402
from adapters.modbus.profile import DEFAULT_PROFILE_DIR, load_profile  # noqa: E402
from hub.spi.testing import RecordingContext  # noqa: E402

# the link logs every failed request; millions of them would be the whole run
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
# pymodbus raises from data_received on frames it cannot decode; asyncio logs and drops the connection
logging.getLogger("asyncio").setLevel(logging.CRITICAL)

EXCEPTION, RAW_PDU, LATE = 1, 2, 3  # answer modes (flags & 3; 0 is a normal answer)
KEEP_BYTE_COUNT, WRONG_UNIT, SPLIT, SILENT, TRAILING = 4, 8, 16, 0x60, 0x80
UNIT = 1
_TIMEOUT = 0.02


class _Peer(asyncio.Protocol):
    """Answers each 12-byte read request with the answer the current input describes."""

    answer: bytes = b""  # flags, then payload (set per input)

    def connection_made(self, transport) -> None:
        self.transport, self.buffer = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 12:
            request, self.buffer = self.buffer[:12], self.buffer[12:]
            for part in answers(request, _Peer.answer):
                self.transport.write(part)


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


_PROFILE = load_profile(DEFAULT_PROFILE_DIR / "generic.yaml")
_CTX = RecordingContext("modbus-fuzz")
_PANEL = Panel.build("panel-1", UNIT, _PROFILE, None)
_LOOP = asyncio.new_event_loop()
asyncio.set_event_loop(_LOOP)
_SERVER = _LOOP.run_until_complete(_LOOP.create_server(_Peer, "127.0.0.1", 0))
_PORT = _SERVER.sockets[0].getsockname()[1]
_LINK = Link(_CTX, "127.0.0.1", _PORT, "tcp", [_PANEL], LinkSettings(timeout=_TIMEOUT, drop_after_timeouts=1 << 30))
_client: list[AsyncModbusTcpClient] = []


async def _connected() -> AsyncModbusTcpClient:
    if _client and _client[0].connected:
        return _client[0]
    if _client:
        _client.pop().close()
    client = AsyncModbusTcpClient("127.0.0.1", port=_PORT, timeout=_TIMEOUT, retries=0, reconnect_delay=0)
    client.set_max_no_responses(1 << 30)
    await client.connect()
    _client.append(client)
    return client


async def _read(request_index: int) -> None:
    client = await _connected()
    request = _PANEL.requests[request_index % len(_PANEL.requests)]
    try:
        await _LINK._read(client, _PANEL, request)
    except LinkLost:
        _client.pop().close()
    if _PANEL.failing:  # start the next input on a clean connection (no half-read answer left)
        _PANEL.failing.clear()
        if _client:
            _client.pop().close()


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    if len(data) < 2:
        return
    _Peer.answer = data[:1] + data[2:]
    _LOOP.run_until_complete(_read(data[1]))
    _CTX.events.clear()


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
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput, packages=("pymodbus.framer", "pymodbus.pdu", "pymodbus.transaction"))
