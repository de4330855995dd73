"""A DC-09 transmitter (panel / one-button alarm box) over TCP or UDP, for tests and vendors.

It sends SIA-DCS, ADM-CID and NULL messages, encrypted or not, waits for the receiver's answer and
retries per DC-09 when none comes (an answer it cannot read is logged, saying what is wrong with
it, and counts as none): the same message (same sequence number) is sent again after
``ack_timeout_s``, up to ``attempts`` times; a NAK carrying the receiver's time makes it correct its
clock offset and try again. Misbehaviour switches (``bad_crc``, ``clock_skew_s``, ``wrong_key``)
make it a faulty panel on purpose.
"""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import os
import time
from collections.abc import Callable, Iterable

from adapters.sia.content import AdmCidData, EventCode, Modifier, SiaDcsData
from adapters.sia.crypto import KeyFormat, parse_key
from adapters.sia.errors import SiaError
from adapters.sia.frame import ACK, ADM_CID, NAK, NULL, RSP, SIA_DCS, Frame, XData, encode_frame, open_envelope, \
    parse_envelope
from adapters.sia.framer import FrameSplitter

Printer = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class Delivery:
    """How sending one message went."""

    outcome: str  # ACK, NAK, DUH, RSP, or "timeout" when no attempt got an answer
    sequence: int
    attempts: int
    response: Frame | None = None
    latency_s: float = 0.0  # send-to-answer time of the last attempt
    note: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.outcome in (ACK, RSP)


class _Link:
    """A connection to the receiver that hands back whole response frames."""

    def __init__(self, host: str, port: int, transport: str, log: Printer) -> None:
        self.host, self.port, self.transport = host, port, transport
        self.log = log
        self.frames: asyncio.Queue[bytes] = asyncio.Queue()
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task | None = None
        self._datagrams: asyncio.DatagramTransport | None = None

    async def send(self, raw: bytes) -> None:
        if self.transport == "udp":
            if self._datagrams is None:
                loop = asyncio.get_running_loop()
                self._datagrams, _ = await loop.create_datagram_endpoint(
                    lambda: _DatagramSink(self), remote_addr=(self.host, self.port))
            self._datagrams.sendto(raw)
            return
        if self._writer is None or self._writer.is_closing():
            reader, self._writer = await asyncio.open_connection(self.host, self.port)
            self._reader_task = asyncio.ensure_future(self._read(reader))
        self._writer.write(raw)
        await self._writer.drain()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        splitter = FrameSplitter(4106)
        while data := await reader.read(4096):
            self.received(splitter, data)
        if self._writer is not None:
            self._writer.close()

    def received(self, splitter: FrameSplitter, data: bytes) -> None:
        """Queue the whole frames in ``data``; say what was thrown away (a receiver's unframed
        answer, such as pysiaalarm's bare ``"NAK"``, is otherwise silently no answer)."""
        for item in splitter.feed(data):
            if isinstance(item, bytes):
                self.frames.put_nowait(item)
            else:
                self.log(f"<- {item.size} byte(s) from the receiver ignored, not a DC-09 frame "
                         f"({'no LF ... CR around them' if item.reason == 'garbage' else item.reason}): "
                         f"{_shown(data)}")

    def drop(self) -> None:
        """Forget the TCP connection (the next send reconnects), as a panel does after a silence."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
        if self._reader_task is not None:
            self._reader_task.cancel()
        if self._datagrams is not None:
            self._datagrams.close()


class _DatagramSink(asyncio.DatagramProtocol):
    def __init__(self, link: _Link) -> None:
        self.link = link

    def datagram_received(self, data: bytes, addr) -> None:
        self.link.received(FrameSplitter(4106), data)


class SiaTransmitter:
    """Send DC-09 messages to a receiver. Build with :meth:`start`, finish with :meth:`stop`."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        account: str,
        key: bytes | None = None,
        transport: str = "tcp",
        receiver: str | None = "0",
        prefix: str = "0",
        ack_timeout_s: float = 20.0,
        attempts: int = 4,
        resync_clock: bool = True,
        clock_skew_s: float = 0.0,
        bad_crc: bool = False,
        wrong_key: bool = False,
        first_sequence: int = 1,
        log: Printer | None = None,
    ) -> None:
        if transport not in ("tcp", "udp"):
            raise ValueError(f"transport must be 'tcp' or 'udp', got {transport!r}")
        self.account, self.key = account.upper(), key
        self.receiver, self.prefix = receiver, prefix
        self.ack_timeout_s, self.attempts, self.resync_clock = ack_timeout_s, attempts, resync_clock
        self.clock_skew_s, self.bad_crc, self.wrong_key = clock_skew_s, bad_crc, wrong_key
        self.sequence = first_sequence
        self.clock_offset_s = 0.0  # learned from NAKs
        self.log = log or (lambda line: None)
        self.link = _Link(host, port, transport, self.log)
        #: every frame put on the wire, newest last (bounded), for tests and differential checks
        self.sent: collections.deque[bytes] = collections.deque(maxlen=1000)
        self.where = f"{transport}://{host}:{port}"

    @classmethod
    async def start(cls, host: str, port: int, *, key: bytes | str | None = None, key_format: KeyFormat = "hex",
                    **kwargs) -> SiaTransmitter:
        """A transmitter for ``host:port``; ``key`` as bytes, or text in ``key_format``."""
        if isinstance(key, str):
            key = parse_key(key, key_format)
        return cls(host, port, key=key, **kwargs)

    async def stop(self) -> None:
        await self.link.close()

    # --- messages ---------------------------------------------------------------------------------
    async def send_sia(self, code: str, zone: str | int = "", *, area: str | int | None = None,
                       user: str | int | None = None, text: str | None = None,
                       xdata: Iterable[XData] = ()) -> Delivery:
        """One SIA DC-03 event, e.g. ``send_sia("PA", 1)`` for a panic alarm on zone 1."""
        fields: list = []
        if area is not None:
            fields.append(Modifier("ri", str(area)))
        if user is not None:
            fields.append(Modifier("id", str(user)))
        fields.append(EventCode(code, _zone(zone, 2), text))
        return await self.send_block(fields, xdata=xdata)

    async def send_block(self, fields: Iterable[Modifier | EventCode], *, xdata: Iterable[XData] = ()) -> Delivery:
        """Several SIA events in one message (modifiers apply to the events after them)."""
        data = SiaDcsData(tuple(fields), self.account).build()
        return await self.send(Frame(SIA_DCS, 0, data=data, xdata=tuple(xdata)))

    async def send_contact_id(self, event: str | int, zone: str | int = 0, *, qualifier: str = "1",
                              partition: str | int = 1) -> Delivery:
        """One Contact ID event, e.g. ``send_contact_id(130, 15)`` for burglary on zone 15."""
        data = AdmCidData(str(qualifier), f"{int(event):03d}", _zone(partition, 2), _zone(zone, 3), self.account)
        return await self.send(Frame(ADM_CID, 0, data=data.build()))

    async def send_null(self) -> Delivery:
        """A NULL link test (supervision)."""
        return await self.send(Frame(NULL, 0))

    async def send(self, template: Frame) -> Delivery:
        """Send ``template`` with our header, sequence, timestamp and encryption; wait, retry."""
        sequence = self.sequence
        self.sequence = self.sequence % 9999 + 1
        delivery = Delivery("timeout", sequence, 0)
        for attempt in range(1, self.attempts + 1):
            frame = dataclasses.replace(
                template, sequence=sequence, account=self.account, receiver=self.receiver, prefix=self.prefix,
                timestamp=self._clock(), encrypted=self.key is not None)
            raw = self._wire(frame)
            self.sent.append(raw)
            sent = time.monotonic()
            try:
                await self.link.send(raw)
            except OSError as exc:
                self.log(f"#{sequence:04d} attempt {attempt}: cannot reach {self.where}: {exc}")
                await asyncio.sleep(self.ack_timeout_s)
                continue
            self.log(f"-> {self.where} {raw.decode('ascii', 'replace').strip()}")
            answer, note = await self._answer(sequence, sent)
            latency = time.monotonic() - sent
            if answer is None:
                self.log(f"#{sequence:04d} attempt {attempt}: no readable answer within {self.ack_timeout_s:g}s")
                self.link.drop()
                delivery = Delivery("timeout", sequence, attempt, None, latency, note)
                continue
            delivery = Delivery(answer.id, sequence, attempt, answer, latency, note)
            self.log(f"<- {answer.id} for #{sequence:04d} after {latency * 1000:.1f} ms{' (' + note + ')' if note else ''}")
            if answer.id == NAK and answer.timestamp is not None and self.resync_clock and attempt < self.attempts:
                self.clock_offset_s = (answer.timestamp - self._raw_clock()).total_seconds()
                self.log(f"   receiver clock differs by {self.clock_offset_s:+.0f}s: corrected, sending again")
                continue
            break
        return delivery

    # --- internals --------------------------------------------------------------------------------
    def _raw_clock(self) -> dt.datetime:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        return now + dt.timedelta(seconds=self.clock_skew_s)

    def _clock(self) -> dt.datetime:
        return (self._raw_clock() + dt.timedelta(seconds=self.clock_offset_s)).replace(microsecond=0)

    def _wire(self, frame: Frame) -> bytes:
        key = os.urandom(len(self.key)) if self.wrong_key and self.key else self.key
        raw = encode_frame(frame, key)
        if self.bad_crc:
            crc = int(raw[1:5], 16) ^ 0x0001
            raw = raw[:1] + b"%04X" % crc + raw[5:]
        return raw

    async def _answer(self, sequence: int, sent: float) -> tuple[Frame | None, str]:
        deadline = sent + self.ack_timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                raw = await asyncio.wait_for(self.link.frames.get(), left)
            except TimeoutError:
                return None, ""
            try:
                envelope = parse_envelope(raw)
            except SiaError as exc:
                # A corrupt answer is no answer (nothing in it can be trusted), but say why.
                self.log(f"<- malformed answer to #{sequence:04d} ignored, {exc.reason}: {exc}: {_shown(raw)}")
                continue
            if envelope.id != NAK and envelope.sequence != sequence:
                self.log(f"<- {envelope.id} for #{envelope.sequence:04d} ignored while waiting for #{sequence:04d} "
                         f"(a late answer to an earlier message?)")
                continue
            try:
                return open_envelope(envelope, self.key), ""
            except SiaError as exc:
                if envelope.id in (ACK, RSP):
                    # The header is authentic enough (CRC, sequence); some receivers (pysiaalarm) pad
                    # encrypted answers without the DC-09 'pad|' delimiter.
                    return Frame(envelope.id, envelope.sequence, envelope.account, envelope.receiver,
                                 envelope.prefix, encrypted=envelope.encrypted), f"answer body unreadable: {exc}"
                return Frame(envelope.id, envelope.sequence, envelope.account), f"answer body unreadable: {exc}"
        return None, ""


def _shown(raw: bytes) -> str:
    """Received bytes for a log line: printable, bounded."""
    return repr(raw if len(raw) <= 120 else raw[:117] + b"...")


def _zone(value: str | int, width: int) -> str:
    return f"{value:0{width}d}" if isinstance(value, int) else value
