"""Which answer on a Modbus connection belongs to the request in flight.

pymodbus (3.16) pairs an answer with the outstanding request by unit id and, for MBAP, transaction
id only; an RTU frame has no transaction id at all. After a timeout the panel (or a gateway's
queue) may still answer the old request, and that answer then arrives while the next request is
outstanding. Gateways that stamp a queued answer with the newest transaction id exist (pymodbus'
own server does it: its handler reads the id of the latest request once the slow one completes),
so the transaction id alone does not settle it. A frame is late when its transaction id is another
request's, or when it does not fit the request in flight (function code, unit id, value count) but
fits one that timed out on this connection. Late frames are dropped before pymodbus sees them, so
the real answer to the request in flight is still taken when it comes.
"""
from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable

from pymodbus.framer import FramerBase, FramerRTU, FramerSocket, FramerType
from pymodbus.pdu import DecodePDU, ModbusPDU

__all__ = ["Shape", "ResponsePairing", "pairing_framer"]

# Timed-out requests remembered per connection: a gateway's queue holds a few, not hundreds.
_REMEMBERED_TIMEOUTS = 16


@dataclasses.dataclass(frozen=True)
class Shape:
    """What a proper answer looks like: unit id, function code and, for a read, data byte count
    (-1 for a write, whose answer echoes what was written)."""

    unit_id: int
    function_code: int
    byte_count: int

    @classmethod
    def of_read(cls, unit_id: int, function_code: int, count: int, bits: bool) -> Shape:
        return cls(unit_id, function_code, (count + 7) // 8 if bits else 2 * count)

    @classmethod
    def of_write(cls, unit_id: int, function_code: int) -> Shape:
        return cls(unit_id, function_code, -1)

    @classmethod
    def of_answer(cls, pdu: ModbusPDU) -> Shape:
        byte_count = 2 * len(pdu.registers) if pdu.registers else len(pdu.bits) // 8
        return cls(pdu.dev_id, pdu.function_code, byte_count)

    def fits(self, pdu: ModbusPDU) -> bool:
        if pdu.dev_id and pdu.dev_id != self.unit_id:
            return False
        if pdu.function_code == self.function_code | 0x80:  # an exception answer to this function
            return True
        if self.byte_count < 0:
            return pdu.function_code == self.function_code
        return Shape.of_answer(pdu) == self


class ResponsePairing:
    """The request in flight on one connection and the ones that timed out before it."""

    def __init__(self, on_late: Callable[[ModbusPDU, str], None]) -> None:
        self.on_late = on_late
        self.in_flight: Shape | None = None
        self.timed_out: collections.deque[Shape] = collections.deque(maxlen=_REMEMBERED_TIMEOUTS)

    def asking(self, shape: Shape) -> None:
        self.in_flight = shape

    def answered(self) -> None:
        self.in_flight = None

    def timed_out_now(self) -> None:
        if self.in_flight is not None:
            self.timed_out.append(self.in_flight)
        self.in_flight = None

    def forget(self) -> None:
        """A new connection: nothing asked on the old one can arrive on it."""
        self.in_flight = None
        self.timed_out.clear()

    def late_reason(self, pdu: ModbusPDU, expected_tid: int) -> str | None:
        """Why ``pdu`` is not the answer to the request in flight, or None if it may be."""
        if self.in_flight is None:
            return "no request outstanding"
        if expected_tid and pdu.transaction_id and pdu.transaction_id != expected_tid:
            return f"transaction id {pdu.transaction_id}, expected {expected_tid}"
        if self.in_flight.fits(pdu):
            return None
        for earlier in self.timed_out:
            if earlier.fits(pdu):
                shape = Shape.of_answer(pdu)
                return (f"fits an earlier request that timed out (function {shape.function_code}, "
                        f"{shape.byte_count} bytes), not the one in flight")
        return None  # a bad answer to this request: the link reports it as such


def pairing_framer(framer: FramerType, pairing: ResponsePairing) -> FramerBase:
    """A pymodbus framer of ``framer``'s type that drops late answers before pymodbus pairs them."""
    base = {FramerType.SOCKET: FramerSocket, FramerType.RTU: FramerRTU}[framer]

    class PairingFramer(base):  # type: ignore[misc, valid-type]
        def handleFrame(self, data: bytes, exp_devid: int, exp_tid: int) -> tuple[int, ModbusPDU | None]:
            used = 0
            while used < len(data):
                # The transaction id is checked here (exp_tid=0 below) so that a mismatch is
                # counted as a late answer instead of vanishing in pymodbus' log.
                length, pdu = super().handleFrame(data[used:], exp_devid, 0)
                used += length
                if pdu is None:
                    return used, None
                reason = pairing.late_reason(pdu, exp_tid)
                if reason is None:
                    return used, pdu
                pairing.on_late(pdu, reason)
                if not length:
                    break
            return used, None

    return PairingFramer(DecodePDU(False))
