"""Fuzz the answer-pairing framers with arbitrary received bytes: a frame is either taken as the
answer to the request in flight (and then fits it or no timed-out request), dropped as late, or
waited on; only pymodbus' ModbusIOException (an undecodable frame) may escape.

Input bytes pick the framer, the request in flight and one that timed out; the rest is what the
connection received. Run with atheris: ``python -m fuzz.fuzz_modbus_pairing``.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymodbus.exceptions import ModbusIOException  # noqa: E402
from pymodbus.framer import FramerType  # noqa: E402

from adapters.modbus.pairing import ResponsePairing, Shape, pairing_framer  # noqa: E402

# As the link and the simulator set it (adapters/modbus/link.py, simulators/fire_panel/server.py):
# pymodbus' own log of every bad frame took about half of each execution here.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

_FUNCTIONS = (1, 2, 3, 4)
# One pairing and its two framers, forgotten before each input as on a new connection: building a
# framer (a class per call) took a third of each execution.
_PAIRING = ResponsePairing(lambda pdu, reason: None)
_FRAMERS = [pairing_framer(framer_type, _PAIRING) for framer_type in (FramerType.SOCKET, FramerType.RTU)]


def TestOneInput(data: bytes) -> None:
    if len(data) < 6:
        return
    pairing = _PAIRING
    pairing.forget()
    framer = _FRAMERS[data[0] & 1]
    function = _FUNCTIONS[data[1] % 4]
    pairing.asking(Shape.of_read(data[2] % 4 + 1, _FUNCTIONS[data[3] % 4], data[4] % 40 + 1, function < 3))
    pairing.timed_out_now()
    in_flight = Shape.of_read(data[2] % 4 + 1, function, data[5] % 40 + 1, function < 3)
    pairing.asking(in_flight)
    try:
        used, pdu = framer.handleFrame(data[6:], in_flight.unit_id, 7)
    except ModbusIOException:
        return
    assert 0 <= used <= len(data) - 6
    if pdu is not None:
        assert pairing.late_reason(pdu, 7) is None


def _framed(framer: int, function: int, unit: int, count: int, payload: bytes) -> bytes:
    """An input whose received bytes are a well-formed answer (right length, CRC or MBAP)."""
    from pymodbus.framer import FramerRTU, FramerSocket

    body = bytes([function, len(payload)]) + payload
    frame = FramerRTU(None).encode(body, unit, 0) if framer else FramerSocket(None).encode(body, unit, 7)
    return bytes([framer, function - 1, unit, function - 1, count, count]) + frame


def seeds() -> dict[str, bytes]:
    return {
        "tcp-holding-answer-fits": _framed(0, 3, 1, 2, bytes(4)),
        "tcp-coils-answer": _framed(0, 1, 1, 8, b"\x0f"),
        "rtu-input-answer": _framed(1, 4, 2, 1, bytes(2)),
        "issue20-late-32-for-2": _framed(0, 3, 1, 2, bytes(64)),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput, packages=("pymodbus",))
