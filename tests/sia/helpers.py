"""Shared setup for SIA adapter tests: a receiver on loopback with a RecordingContext."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses

from adapters.sia.adapter import SiaAdapter
from adapters.sia.options import SiaDeviceOptions, SiaOptions
from hub.events import Site
from hub.spi import DeviceSpec
from hub.spi.testing import RecordingContext
from simulators.sia import SiaTransmitter

HEX_KEY = "000102030405060708090A0B0C0D0E0F"
ASCII_KEY = "campus-hub-key16"


def panel(device_id: str, account: str, **options) -> DeviceSpec:
    return DeviceSpec(id=device_id, kind="alarm_panel", adapter="sia-test",
                      site=Site(region_code="140802", school_id="sch-1"),
                      options=SiaDeviceOptions(account=account, **options))


DEFAULT_PANELS = (
    panel("plain-1", "1234"),
    panel("hex-1", "A1B2", key=HEX_KEY, key_format="hex"),
    panel("ascii-1", "C3D4", key=ASCII_KEY, key_format="ascii"),
)


@dataclasses.dataclass
class Receiver:
    ctx: RecordingContext
    adapter: SiaAdapter
    task: asyncio.Task

    @property
    def tcp(self) -> tuple[str, int]:
        return self.adapter.tcp_address

    @property
    def udp(self) -> tuple[str, int]:
        return self.adapter.udp_address

    async def transmitter(self, account: str, *, transport: str = "tcp", **kwargs) -> SiaTransmitter:
        host, port = self.tcp if transport == "tcp" else self.udp
        kwargs.setdefault("ack_timeout_s", 2.0)
        return await SiaTransmitter.start(host, port, account=account, transport=transport, **kwargs)

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.ctx.close()


async def start_receiver(devices=DEFAULT_PANELS, *, journal_delay: float = 0.0, **options) -> Receiver:
    ctx = RecordingContext("sia-test", devices, journal_delay=journal_delay)
    options = {"host": "127.0.0.1", "tcp_port": 0, "udp_port": 0, **options}
    adapter = SiaAdapter(ctx, SiaOptions(**options))
    task = asyncio.ensure_future(adapter.run())
    await asyncio.wait_for(adapter.ready.wait(), 5)
    return Receiver(ctx, adapter, task)


async def exchange(address: tuple[str, int], raw: bytes, timeout: float = 2.0) -> bytes:
    """Send raw bytes on a fresh TCP connection and return what comes back (b'' if nothing)."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(raw)
        await writer.drain()
        try:
            return await asyncio.wait_for(reader.readuntil(b"\r"), timeout)
        except (TimeoutError, asyncio.IncompleteReadError):
            return b""
    finally:
        writer.close()
