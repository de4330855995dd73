"""The fire-panel simulator refuses bad requests as Modbus says: function code | 0x80 and the
exception code that names the fault (01 illegal function, 02 illegal data address, 03 illegal
data value). Checked with raw bytes on the wire and with pymodbus' own client."""
from __future__ import annotations

import asyncio
import struct

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.pdu import ModbusPDU
from pymodbus.pdu.register_message import ReadHoldingRegistersRequest

from adapters.modbus.profile import resolve_profile
from simulators.fire_panel.server import EndpointSpec, FirePanelSimulator, PanelSpec

UNIT = 1


@pytest.fixture
async def sim():
    simulator = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp-a", resolve_profile("notifier-gw"), UNIT)])])
    yield simulator
    await simulator.stop()


async def mbap_exchange(port: int, pdu: bytes, unit: int = UNIT) -> bytes:
    """Send one Modbus TCP request; return the PDU of the answer (MBAP header checked and removed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(struct.pack(">HHHB", 0x1234, 0, len(pdu) + 1, unit) + pdu)
        await writer.drain()
        header = await asyncio.wait_for(reader.readexactly(7), 2)
        transaction, protocol, length, answered_unit = struct.unpack(">HHHB", header)
        assert (transaction, protocol, answered_unit) == (0x1234, 0, unit)
        return await asyncio.wait_for(reader.readexactly(length - 1), 2)
    finally:
        writer.close()


@pytest.mark.parametrize("request_pdu, answer", [
    # read holding registers: 126 and 0 registers are outside 1..125
    (bytes([0x03]) + struct.pack(">HH", 3000, 126), bytes([0x83, 0x03])),
    (bytes([0x03]) + struct.pack(">HH", 3000, 0), bytes([0x83, 0x03])),
    # read input registers, coils, discrete inputs with counts out of range
    (bytes([0x04]) + struct.pack(">HH", 0, 200), bytes([0x84, 0x03])),
    (bytes([0x01]) + struct.pack(">HH", 0, 2001), bytes([0x81, 0x03])),
    (bytes([0x02]) + struct.pack(">HH", 0, 0), bytes([0x82, 0x03])),
    # write multiple registers: at most 123 at once
    (bytes([0x10]) + struct.pack(">HHB", 3000, 200, 4) + bytes(4), bytes([0x90, 0x03])),
    # function codes the panel does not know
    (bytes([0x5A, 0x00, 0x00]), bytes([0xDA, 0x01])),
    (bytes([0x41]), bytes([0xC1, 0x01])),
    # a well-formed read of an unmapped address
    (bytes([0x03]) + struct.pack(">HH", 2000, 1), bytes([0x83, 0x02])),
], ids=["read-126", "read-0", "input-200", "coils-2001", "discrete-0", "write-200", "function-5A", "function-41",
        "unmapped"])
async def test_raw_exception_replies(sim, request_pdu, answer):
    assert (await mbap_exchange(sim.port_of("fp-a"), request_pdu)).hex(" ") == answer.hex(" ")


async def test_a_refused_request_leaves_the_connection_usable(sim):
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port_of("fp-a"))
    try:
        for transaction, pdu in [(1, bytes([0x5A, 0, 0])), (2, bytes([0x03]) + struct.pack(">HH", 3000, 1))]:
            writer.write(struct.pack(">HHHB", transaction, 0, len(pdu) + 1, UNIT) + pdu)
            await writer.drain()
            header = await asyncio.wait_for(reader.readexactly(7), 2)
            body = await asyncio.wait_for(reader.readexactly(struct.unpack(">H", header[4:6])[0] - 1), 2)
            assert struct.unpack(">H", header[:2])[0] == transaction
        assert body == bytes([0x03, 0x02, 0x00, 0x00])
    finally:
        writer.close()


class UncheckedReadHoldingRegisters(ReadHoldingRegistersRequest):
    """pymodbus' request without its client-side count check, as a buggy master would send it."""

    def encode(self) -> bytes:
        return struct.pack(">HH", self.address, self.count)


class VendorFunction(ModbusPDU):
    """A function code the panel does not implement (0x5A)."""

    function_code = 0x5A
    rtu_frame_size = 4

    def encode(self) -> bytes:
        return b"\x00\x00"

    def decode(self, data: bytes) -> None:
        pass


async def test_pymodbus_client_reads_the_exception_codes(sim):
    client = AsyncModbusTcpClient("127.0.0.1", port=sim.port_of("fp-a"), timeout=2, retries=0, reconnect_delay=0)
    assert await client.connect()
    try:
        too_many = await client.execute(False, UncheckedReadHoldingRegisters(address=3000, count=126, dev_id=UNIT))
        assert too_many.isError()
        assert (too_many.function_code, too_many.exception_code) == (0x83, 0x03)
        unknown = await client.execute(False, VendorFunction(dev_id=UNIT))
        assert unknown.isError()
        assert (unknown.function_code, unknown.exception_code) == (0xDA, 0x01)
        unmapped = await client.read_holding_registers(2000, count=1, device_id=UNIT)
        assert (unmapped.function_code, unmapped.exception_code) == (0x83, 0x02)
        assert (await client.read_holding_registers(3000, count=1, device_id=UNIT)).registers == [0]
    finally:
        client.close()


def crc16_modbus(data: bytes) -> bytes:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return struct.pack("<H", crc)


async def test_rtu_over_tcp_exception_reply():
    simulator = await FirePanelSimulator.start(
        [EndpointSpec([PanelSpec("fp-c", resolve_profile("siemens-fc20"), 5)], framer="rtu-over-tcp")])
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", simulator.port_of("fp-c"))
        request = bytes([5, 0x03]) + struct.pack(">HH", 0, 126)
        writer.write(request + crc16_modbus(request))
        await writer.drain()
        answer = await asyncio.wait_for(reader.readexactly(5), 2)
        writer.close()
    finally:
        await simulator.stop()
    assert answer == bytes([5, 0x83, 0x03]) + crc16_modbus(bytes([5, 0x83, 0x03]))

