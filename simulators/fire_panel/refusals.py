"""Requests pymodbus cannot decode, answered as a Modbus device must instead of pymodbus' ``80 01``.

pymodbus' server answers every request it fails to decode with function code 0x80 and exception
01, whatever was wrong. Modbus wants the request's function code | 0x80 and the exception that
names the fault: 01 (illegal function) for a function the device does not implement, 03 (illegal
data value) for a known function whose fields are out of range or malformed (a count outside
1..125, a byte count that does not match). :class:`RefusingDecoder` turns such a request into a
:class:`RefusedRequest` that answers so.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from pymodbus.constants import ExcCodes
from pymodbus.pdu import DecodePDU, ExceptionResponse, ModbusPDU

__all__ = ["RefusedRequest", "RefusingDecoder"]


class RefusedRequest(ModbusPDU):
    """A request the panel will not carry out; it answers with ``exception_code`` for its function."""

    def __init__(self, function_code: int, exception_code: int, hold: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self.function_code = function_code
        self.refusal = exception_code
        self.hold = hold

    async def datastore_update(self, context, device_id: int) -> ModbusPDU:
        await self.hold()  # a silent converter answers nothing, refusals included
        return ExceptionResponse(self.function_code, self.refusal, device_id=device_id,
                                 transaction=self.transaction_id)


class RefusingDecoder(DecodePDU):
    """pymodbus' server-side decoder, with a :class:`RefusedRequest` where it would give up.
    ``hold`` is awaited before each refusal is answered."""

    def __init__(self, hold: Callable[[], Awaitable[None]]) -> None:
        super().__init__(is_server=True)
        self.hold = hold

    def decode(self, frame: bytes) -> ModbusPDU | None:
        if not frame:
            return None
        function_code = frame[0]
        known = not function_code & 0x80 and self.pdu_table.get(function_code, (None, None))[0] is not None
        pdu = super().decode(frame) if known else None
        if pdu is not None:
            return pdu
        return RefusedRequest(function_code & 0x7F, ExcCodes.ILLEGAL_VALUE if known else ExcCodes.ILLEGAL_FUNCTION,
                              self.hold)
