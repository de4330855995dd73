"""SIA DC-09 receiver adapter: thin Twisted TCP/UDP transports around :mod:`adapters.sia.receiver`.

Safety rule: an ACK (or RSP) leaves only after every event of the frame is durably journaled
(``ctx.emit``'s future resolved). A frame whose events cannot be journaled gets no answer, so the
panel retries. Retries of a frame already journaled are ACKed again without a second event.
"""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import functools
import time
from collections.abc import Callable
from typing import Any

from twisted.internet import tcp
from twisted.internet.interfaces import IAddress
from twisted.internet.protocol import DatagramProtocol, Protocol, ServerFactory
from twisted.protocols.policies import TimeoutMixin

from adapters.sia.frame import encode_frame
from adapters.sia.framer import Discarded, FrameSplitter
from adapters.sia.options import SiaDeviceOptions, SiaOptions
from adapters.sia.peer_warnings import PeerWarnings
from adapters.sia.receiver import AccountPolicy, Outcome, ReceiverCore, RecentMessages, Verdict, duplicate_key
from adapters.sia.supervision import Supervisor
from hub.events import Event, new_event
from hub.spi import Adapter

RAW_PROTOCOL = "sia-dc09"

#: Where an answer goes: called with the reply bytes, or None to stay silent.
ReplyTo = Callable[[bytes | None], None]


def _peer(address: IAddress | tuple) -> str:
    if isinstance(address, tuple):
        return f"{address[0]}:{address[1]}"
    return f"{getattr(address, 'host', '?')}:{getattr(address, 'port', '?')}"


class SiaAdapter(Adapter):
    """Receives DC-09 messages from alarm panels and one-button alarm boxes over TCP and UDP."""

    Options = SiaOptions
    DeviceOptions = SiaDeviceOptions

    def __init__(self, ctx, options: SiaOptions) -> None:
        super().__init__(ctx, options)
        #: set once the listeners are up; tcp_address / udp_address then hold the bound (host, port)
        self.ready = asyncio.Event()
        self.tcp_address: tuple[str, int] | None = None
        self.udp_address: tuple[str, int] | None = None
        self.connections: set[PanelConnection] = set()
        self._core: ReceiverCore | None = None
        self._recent = RecentMessages(options.duplicate_window_s)
        self._supervisor: Supervisor | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    async def run(self) -> None:
        from twisted.internet import reactor

        policies = self._policies()
        self._core = ReceiverCore(policies, unmapped_codes=self.options.unmapped_codes)
        self._supervisor = Supervisor(self.ctx, reactor)
        for spec in self.ctx.devices:
            if spec.options.supervision_s:
                self._supervisor.watch(spec.id, spec.options.supervision_s)
        await self._recall_journaled_frames()
        listeners = []
        datagrams: PanelDatagrams | None = None
        try:
            if self.options.tcp_port is not None:
                port = reactor.listenTCP(self.options.tcp_port, PanelFactory(self), interface=self.options.host)
                listeners.append(port)
                self.tcp_address = (port.getHost().host, port.getHost().port)
            if self.options.udp_port is not None:
                datagrams = PanelDatagrams(self)
                port = reactor.listenUDP(self.options.udp_port, datagrams, interface=self.options.host)
                listeners.append(port)
                self.udp_address = (port.getHost().host, port.getHost().port)
            self.ctx.log.info("sia.listening", tcp=self.tcp_address, udp=self.udp_address, accounts=len(policies))
            self.ready.set()
            await asyncio.get_running_loop().create_future()  # until cancelled
        finally:
            self._supervisor.stop()
            for connection in list(self.connections):
                connection.transport.abortConnection()
            for port in listeners:
                port.stopListening()
            if datagrams is not None:
                datagrams.flush()

    async def _recall_journaled_frames(self) -> None:
        """Remember the frames journaled within the duplicate window before this start: a panel
        retrying one whose ACK a hub restart cut off gets its ACK without a second event."""
        if self.options.duplicate_window_s <= 0:
            return
        loop = asyncio.get_running_loop()
        wall_now, monotonic_now = time.time(), time.monotonic()
        recalled = 0
        for event in await self.ctx.recent_events(self.options.duplicate_window_s):
            if event.raw.protocol != RAW_PROTOCOL:
                continue
            known = self._core.reread(event.raw.data)
            if known is None:
                continue
            policy, frame = known
            journaled = loop.create_future()
            journaled.set_result(event.sequence)
            age = wall_now - (event.received_at.seconds + event.received_at.nanos / 1e9)
            self._recent.remember(policy.account, duplicate_key(frame), journaled, monotonic_now - age)
            recalled += 1
        if recalled:
            self.ctx.log.info("sia.recalled_journaled_frames", frames=recalled,
                              window_s=self.options.duplicate_window_s)

    def _policies(self) -> dict[str, AccountPolicy]:
        policies: dict[str, AccountPolicy] = {}
        for spec in self.ctx.devices:
            options: SiaDeviceOptions = spec.options
            if options.account in policies:
                raise ValueError(f"devices {policies[options.account].device_id!r} and {spec.id!r} both use SIA "
                                 f"account {options.account}; each transmitter needs its own account number")
            policies[options.account] = options.policy(spec.id)
        return policies

    # --- one frame ------------------------------------------------------------------------------
    def process(self, raw: bytes, warnings: PeerWarnings, received: float, reply_to: ReplyTo) -> None:
        """Assess one frame from ``warnings.peer``, journal its events, then call ``reply_to`` with
        the answer to send (None: stay silent). ``reply_to`` is called at once when nothing needs journaling, else
        when the journal has committed (or failed: then None, so the panel retries).

        Callbacks rather than a task per frame: a task and its shield cost about a tenth of the
        receiver's time per frame."""
        peer, transport = warnings.peer, warnings.transport
        verdict = self._core.assess(raw, dt.datetime.now(dt.UTC))
        metrics = self.ctx.metrics
        metrics.count("frames", transport=transport, outcome=verdict.outcome.value, reason=verdict.reason)
        if verdict.alive:
            self._supervisor.seen(verdict.policy.device_id)
        if verdict.outcome not in (Outcome.ACK, Outcome.RSP):
            warnings.rejected(answer=verdict.outcome.value, reason=verdict.reason, detail=verdict.detail,
                              account=verdict.envelope.account if verdict.envelope else None)
            reply_to(verdict.reply)
            return
        account, key = verdict.policy.account, duplicate_key(verdict.frame)
        journaled = self._recent.recall(account, key, time.monotonic())
        if journaled is not None:
            metrics.count("duplicates", transport=transport)
            self.ctx.log.info("sia.duplicate", peer=peer, account=account, sequence=verdict.frame.sequence)
        elif verdict.alarms:
            emitted = [self.ctx.emit(event) for event in self._events(verdict, raw)]
            journaled = emitted[0] if len(emitted) == 1 else asyncio.gather(*emitted)
            self._recent.remember(account, key, journaled, time.monotonic())
        if journaled is None:  # nothing to journal (a NULL link test)
            metrics.observe("frame_to_ack", time.monotonic() - received, transport=transport)
            reply_to(verdict.reply)
            return

        def answer(done: asyncio.Future) -> None:
            if done.cancelled() or done.exception() is not None:
                # The journal could not take it: no ACK, the panel will retry.
                self._recent.forget(account, key)
                metrics.count("journal_failed", transport=transport)
                self.ctx.log.error("sia.journal_failed", peer=peer, account=account,
                                   error="cancelled" if done.cancelled() else repr(done.exception()))
                reply_to(None)
                return
            metrics.observe("frame_to_ack", time.monotonic() - received, transport=transport)
            reply_to(verdict.reply)

        journaled.add_done_callback(answer)

    def _events(self, verdict: Verdict, raw: bytes) -> list[Event]:
        frame = verdict.frame
        verification = frame.xdata_value("V")
        media = [("verification", verification, "")] if verification else []
        return [
            new_event(
                device_id=verdict.policy.device_id,
                type=alarm.meaning.type,
                category=alarm.meaning.category,
                severity=alarm.meaning.severity,
                state=alarm.meaning.state,
                occurred_at=verdict.occurred_at,
                attributes={**alarm.attributes, "description": alarm.meaning.description},
                raw_protocol=RAW_PROTOCOL,
                raw_data=raw,
                raw_text=_readable(verdict, raw),
                media=media,
            )
            for alarm in verdict.alarms
        ]

    def discarded(self, note: Discarded, warnings: PeerWarnings) -> None:
        self.ctx.metrics.count("bytes_discarded", note.size, transport=warnings.transport, reason=note.reason)
        warnings.discarded(note.reason, note.size)

    def warnings_for(self, peer: str, transport: str) -> PeerWarnings:
        """Rate-limited warnings about one connection's (or UDP source's) bad input."""
        return PeerWarnings(self.ctx.log, peer, transport)


def _readable(verdict: Verdict, raw: bytes) -> str:
    """The frame as cleartext DC-09 (decrypted; without CRC/length), for forensics."""
    if not verdict.frame.encrypted:
        return raw[7 if verdict.envelope.binary_crc else 9:-1].decode("ascii")
    try:
        return encode_frame(dataclasses.replace(verdict.frame, encrypted=False, pad=None))[9:-1].decode("ascii")
    except ValueError:
        return ""


class PanelConnection(TimeoutMixin, Protocol):
    """One TCP connection from a panel: frames are answered in order, one at a time."""

    def __init__(self, receiver: SiaAdapter) -> None:
        self.receiver = receiver
        options = receiver.options
        self.splitter = FrameSplitter(options.max_frame_bytes)
        self.queue: collections.deque[tuple[bytes, float]] = collections.deque()
        self.waiting = False  # a frame is being answered
        self.answering_now = False  # inside process(): its reply_to must not recurse into the queue
        self.direct_send = False  # see _send
        self.paused = False
        self.peer = "?"
        self.warnings: PeerWarnings | None = None

    def connectionMade(self) -> None:
        # Answers are small and the panel waits for each: Nagle would hold an ACK back while an
        # earlier one is unacknowledged (pipelined frames meet the peer's delayed ACK, ~40 ms).
        self.transport.setTcpNoDelay(True)
        # Only a plain TCP transport's handle is the socket the answer bytes belong on.
        self.direct_send = isinstance(self.transport, tcp.Connection)
        self.peer = _peer(self.transport.getPeer())
        self.warnings = self.receiver.warnings_for(self.peer, "tcp")
        self.receiver.connections.add(self)
        self.receiver.ctx.metrics.gauge("connections", len(self.receiver.connections))
        self.setTimeout(self.receiver.options.idle_timeout_s)

    def dataReceived(self, data: bytes) -> None:
        self.resetTimeout()
        for item in self.splitter.feed(data):
            if isinstance(item, Discarded):
                self.receiver.discarded(item, self.warnings)
            else:
                self.queue.append((item, time.monotonic()))
        if len(self.queue) >= self.receiver.options.max_pending_frames and not self.paused:
            self.paused = True
            self.transport.pauseProducing()
        self._answer_queued()

    def _answer_queued(self) -> None:
        """Process queued frames in order, one at a time: the next only once the last is answered."""
        while self.queue and not self.waiting and self.transport.connected:
            raw, received = self.queue.popleft()
            self.waiting = True
            self.answering_now = True
            try:
                self.receiver.process(raw, self.warnings, received, self._reply)
            except Exception as exc:  # a bug must cost one frame (unanswered, so retried), not the adapter
                self.receiver.ctx.log.exception("sia.frame_crashed", peer=self.peer, error=repr(exc))
                self.waiting = False
            finally:
                self.answering_now = False
        if self.paused and len(self.queue) <= self.receiver.options.max_pending_frames // 2:
            self.paused = False
            self.transport.resumeProducing()

    def _reply(self, reply: bytes | None) -> None:
        self.waiting = False
        if reply is not None and self.transport.connected:
            self._send(reply)
        if not self.answering_now:  # answered later, from the journal: go on with the queue
            self._answer_queued()

    def _send(self, reply: bytes) -> None:
        """Send an answer now if the socket takes it whole, else through Twisted's buffer.

        Twisted's write() sends on the next reactor turn, after registering the socket for
        writing and before unregistering it: a fifth of a frame's cost in this receiver. A panel
        waits for each answer, so the socket almost always takes it at once. Once anything went
        to Twisted's buffer, every later answer goes there too, so the bytes stay in order.
        """
        if self.direct_send:
            try:
                sent = self.transport.getHandle().send(reply)
            except OSError:  # full (EAGAIN), interrupted, or failing: Twisted's write handles it
                sent = 0
            if sent == len(reply):
                return
            reply = reply[sent:]
            self.direct_send = False
        self.transport.write(reply)

    def timeoutConnection(self) -> None:
        self.receiver.ctx.metrics.count("idle_timeouts")
        self.receiver.ctx.log.info("sia.idle_timeout", peer=self.peer)
        self.transport.loseConnection()

    def connectionLost(self, reason: Any = None) -> None:
        self.setTimeout(None)
        if self.warnings is not None:
            self.warnings.flush()
        self.queue.clear()  # unanswered frames: the panel sends them again
        self.receiver.connections.discard(self)
        self.receiver.ctx.metrics.gauge("connections", len(self.receiver.connections))


class PanelFactory(ServerFactory):
    def __init__(self, receiver: SiaAdapter) -> None:
        self.receiver = receiver

    def buildProtocol(self, addr: IAddress) -> PanelConnection | None:
        if len(self.receiver.connections) >= self.receiver.options.max_connections:
            self.receiver.ctx.metrics.count("connections_refused")
            self.receiver.ctx.log.warning("sia.connection_refused", peer=_peer(addr),
                                          limit=self.receiver.options.max_connections)
            return None  # Twisted closes the connection
        return PanelConnection(self.receiver)


class PanelDatagrams(DatagramProtocol):
    """UDP: each datagram carries one frame; the reply goes back to its source address."""

    #: source addresses whose warnings are tracked at once; the longest unheard is summed up and forgotten
    TRACKED_SOURCES = 1024

    def __init__(self, receiver: SiaAdapter) -> None:
        self.receiver = receiver
        self.in_flight = 0  # frames whose answer waits for the journal
        self.warnings: collections.OrderedDict[str, PeerWarnings] = collections.OrderedDict()

    def datagramReceived(self, data: bytes, addr: tuple) -> None:
        peer = _peer(addr)
        warnings = self._warnings_of(peer)
        if self.in_flight >= self.receiver.options.max_connections:
            self.receiver.discarded(Discarded("overload", len(data)), warnings)
            return
        received = time.monotonic()
        for item in FrameSplitter(self.receiver.options.max_frame_bytes).feed(data):
            if isinstance(item, Discarded):
                self.receiver.discarded(item, warnings)
                continue
            self.in_flight += 1
            try:
                self.receiver.process(item, warnings, received, functools.partial(self._reply, addr))
            except Exception as exc:
                self.in_flight -= 1
                self.receiver.ctx.log.exception("sia.frame_crashed", peer=peer, error=repr(exc))

    def _warnings_of(self, peer: str) -> PeerWarnings:
        warnings = self.warnings.get(peer)
        if warnings is None:
            warnings = self.warnings[peer] = self.receiver.warnings_for(peer, "udp")
            if len(self.warnings) > self.TRACKED_SOURCES:
                self.warnings.popitem(last=False)[1].flush()
        self.warnings.move_to_end(peer)
        return warnings

    def flush(self) -> None:
        for warnings in self.warnings.values():
            warnings.flush()

    def _reply(self, addr: tuple, reply: bytes | None) -> None:
        self.in_flight -= 1
        if reply is not None and self.transport is not None:
            self.transport.write(reply, addr)
