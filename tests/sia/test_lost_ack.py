"""A panel whose ACK is lost retries the frame: the real hub ACKs the retry and journals one event.

Between the transmitter simulator and the hub sits a loopback relay that loses the hub's first
answer, over TCP and over UDP, as a flaky uplink does. The retry carries the same sequence and
content with a new timestamp (SIA DC-09 5.5.2); it must not become a second event.
"""
from __future__ import annotations

import asyncio

import pytest

from adapters.sia.adapter import SiaAdapter
from adapters.sia.options import SiaOptions
from hub.kernel import AdapterInstance, Hub, HubSettings
from simulators.sia import SiaTransmitter

from .helpers import panel


class _LoseFirstAnswerDatagram(asyncio.DatagramProtocol):
    """Relays each panel datagram to the hub from its own socket, and the answers back, but the first."""

    def __init__(self, hub: tuple[str, int]) -> None:
        self.hub, self.lost = hub, 0
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, panel_address) -> None:
        relay = self

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self, answer: bytes, _hub) -> None:
                if relay.lost == 0:
                    relay.lost = 1
                    return
                relay.transport.sendto(answer, panel_address)

        asyncio.ensure_future(asyncio.get_running_loop().create_datagram_endpoint(
            Back, remote_addr=self.hub)).add_done_callback(lambda made: made.result()[0].sendto(data))


async def lossy_relay(transport: str, hub: tuple[str, int]):
    """A relay on loopback that loses the hub's first answer; returns (its address, lost-count getter, closer)."""
    loop = asyncio.get_running_loop()
    if transport == "udp":
        relay_transport, relay = await loop.create_datagram_endpoint(
            lambda: _LoseFirstAnswerDatagram(hub), local_addr=("127.0.0.1", 0))
        return relay_transport.get_extra_info("sockname")[:2], lambda: relay.lost, relay_transport.close
    lost = [0]

    async def pipe(reader, writer, lose_first: bool) -> None:
        try:
            while data := await reader.read(4096):
                if lose_first and lost[0] == 0:
                    lost[0] = 1  # the ACK never reaches the panel; its connection stays open
                    continue
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def connected(panel_reader, panel_writer) -> None:
        hub_reader, hub_writer = await asyncio.open_connection(*hub)
        await asyncio.gather(pipe(panel_reader, hub_writer, False), pipe(hub_reader, panel_writer, True))

    server = await asyncio.start_server(connected, "127.0.0.1", 0)
    return server.sockets[0].getsockname()[:2], lambda: lost[0], server.close


@pytest.mark.parametrize("transport", ["tcp", "udp"])
async def test_a_retry_after_a_lost_ack_is_one_event_in_the_hub(tmp_path, transport):
    hub = Hub(HubSettings(journal_path=str(tmp_path / "journal.db"), devices=[panel("plain-1", "1234")],
                          grpc_address="127.0.0.1:0", metrics_address=None,
                          adapters=[AdapterInstance("sia-test", SiaAdapter,
                                                    SiaOptions(host="127.0.0.1", tcp_port=0, udp_port=0))]))
    await hub.start()
    try:
        while (adapter := hub.adapter("sia-test")) is None:
            await asyncio.sleep(0.01)
        await asyncio.wait_for(adapter.ready.wait(), 5)
        address, lost, close_relay = await lossy_relay(
            transport, adapter.tcp_address if transport == "tcp" else adapter.udp_address)
        tx = await SiaTransmitter.start(*address, account="1234", transport=transport, ack_timeout_s=0.5)
        try:
            delivery = await tx.send_sia("PA", 1)
            after = await tx.send_sia("FA", 2)  # the next message is a new event
        finally:
            await tx.stop()
            close_relay()
        assert lost() == 1 and delivery.outcome == "ACK" and delivery.attempts == 2 and after.attempts == 1
        entries = await hub.journal.read_after(0, 1000)
        assert [e.type for e in entries if e.event().raw.protocol == "sia-dc09"] == ["panic.alarm", "fire.alarm"]
    finally:
        await hub.stop()
