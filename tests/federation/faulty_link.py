"""A loopback TCP relay between NATS clients and a real nats-server that can be cut or lose frames.

It reads the NATS wire protocol only as far as framing (a control line, and for PUB/HPUB/MSG/HMSG
the payload its last field counts), so it can lose exactly what a flaky network loses: a
consumer's acknowledgements on their way to the server, or the server's replies (JetStream's
PubAcks) on their way to a publisher. Everything else passes unchanged.
"""
from __future__ import annotations

import asyncio
import collections

__all__ = ["FaultyLink"]

_WITH_PAYLOAD = (b"PUB", b"HPUB", b"MSG", b"HMSG")


class FaultyLink:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        #: client -> server: lose ``$JS.ACK.`` publishes; "plain" loses only those without a reply
        #: subject (``ack()``), "all" also the confirmed ones (``ack_sync()``); None loses none.
        self.lose_consumer_acks: str | None = None
        #: server -> client: lose MSG/HMSG frames to the client (PubAcks, API replies).
        self.lose_replies = False
        self.lost: collections.Counter[str] = collections.Counter()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._cut = False

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def start(self) -> FaultyLink:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        self.cut()
        self._server.close()
        await self._server.wait_closed()

    def cut(self) -> None:
        """Drop every relayed connection and refuse new ones until ``restore``."""
        self._cut = True
        for writer in list(self._writers):
            writer.transport.abort()

    def restore(self) -> None:
        self._cut = False

    async def _relay(self, client_reader, client_writer) -> None:
        if self._cut:
            client_writer.transport.abort()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.update((client_writer, server_writer))
        pumps = [asyncio.ensure_future(self._pump(client_reader, server_writer, self._lose_upstream)),
                 asyncio.ensure_future(self._pump(server_reader, client_writer, self._lose_downstream))]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            for writer in (client_writer, server_writer):
                self._writers.discard(writer)
                writer.transport.abort()

    async def _pump(self, reader, writer, lose) -> None:
        try:
            while True:
                line = await reader.readuntil(b"\r\n")
                op = line.split(b" ", 1)[0].rstrip(b"\r\n").upper()
                payload = await reader.readexactly(int(line.split()[-1]) + 2) if op in _WITH_PAYLOAD else b""
                what = lose(op, line)
                if what:
                    self.lost[what] += 1
                    continue
                writer.write(line + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    def _lose_upstream(self, op: bytes, line: bytes) -> str | None:
        if self.lose_consumer_acks is None or op not in (b"PUB", b"HPUB"):
            return None
        fields = line.split()
        if not fields[1].startswith(b"$JS.ACK."):
            return None
        has_reply = len(fields) == (4 if op == b"PUB" else 5)
        if has_reply and self.lose_consumer_acks != "all":
            return None
        return "consumer_ack"

    def _lose_downstream(self, op: bytes, line: bytes) -> str | None:
        return "reply" if self.lose_replies and op in (b"MSG", b"HMSG") else None
