"""One Modbus TCP connection and the panels polled over it.

A link is a panel's own Modbus TCP interface, or a serial converter / gateway with several panels
behind it (one unit id each). pymodbus' asyncio client owns the socket; the link adds what the
field needs (Home Assistant issues 52450, 68161, 142658): reconnect with exponential backoff while
reporting the panels offline, a full re-read after every reconnect, and per-panel fault reporting
for exception responses, short answers and timeouts, so one bad panel never stalls the others
beyond its own timeout.

Polling is a single schedule per link (a heap of due requests): the connection carries one request
at a time anyway, and one task per link keeps 500 panels cheap.
"""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import heapq
import itertools
import logging
import random
import time
from collections.abc import Callable, Sequence

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.framer import FramerType

from adapters.modbus.mapping import transition_event
from adapters.modbus.pairing import ResponsePairing, Shape, pairing_framer
from adapters.modbus.planner import ReadRequest, plan_requests
from adapters.modbus.profile import Command, Profile, Table
from adapters.modbus.tracker import PanelTracker, RegisterValueError
from hub.spi import AdapterContext, Backoff, CapabilityError, LateDevices, raise_if_cancelling

# pymodbus logs frame dumps and retries of what this module already reports as device faults,
# with device ids, through the hub's structured log; its own lines would only be noise.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

__all__ = ["FRAMERS", "Link", "LinkSettings", "Panel", "EXCEPTION_NAMES"]

FRAMERS = {"tcp": FramerType.SOCKET, "rtu-over-tcp": FramerType.RTU}
EXCEPTION_NAMES = {
    1: "illegal function", 2: "illegal data address (profile does not match the panel?)",
    3: "illegal data value", 4: "server device failure", 5: "acknowledge (busy with a long command)",
    6: "server device busy", 8: "memory parity error", 10: "gateway path unavailable",
    11: "gateway target device failed to respond (wrong unit id, or panel off the serial bus?)",
}
_READ = {
    Table.holding: AsyncModbusTcpClient.read_holding_registers,
    Table.input: AsyncModbusTcpClient.read_input_registers,
    Table.coil: AsyncModbusTcpClient.read_coils,
    Table.discrete: AsyncModbusTcpClient.read_discrete_inputs,
}
_FUNCTION_CODE = {Table.holding: 3, Table.input: 4, Table.coil: 1, Table.discrete: 2}
# A link logs at most one late answer per this many seconds (they come in bursts after a hang).
_LATE_LOG_INTERVAL = 60.0


def _is_timeout(exc: Exception) -> bool:
    # pymodbus raises ModbusIOException both for "no response" and for answers with the wrong
    # unit or transaction id; only the message tells them apart.
    return isinstance(exc, asyncio.TimeoutError) or "No response" in str(exc)


class LinkLost(Exception):
    """The connection is gone or answers nothing at all: reconnect."""


@dataclasses.dataclass
class _Write:
    """A command waiting for its turn on the connection; ``done`` gets None or a CapabilityError."""

    panel: Panel
    command: Command
    done: asyncio.Future


@dataclasses.dataclass(frozen=True)
class LinkSettings:
    timeout: float = 2.0
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0
    drop_after_timeouts: int = 3


@dataclasses.dataclass
class Panel:
    """A polled panel: its device id, unit id, requests and change tracker."""

    device_id: str
    unit_id: int
    profile: Profile
    requests: list[ReadRequest]
    tracker: PanelTracker
    failing: dict[ReadRequest, str] = dataclasses.field(default_factory=dict)
    timeouts_in_a_row: int = 0
    behind: bool = False  # polled later than its interval because the link was busy

    @classmethod
    def build(cls, device_id: str, unit_id: int, profile: Profile, poll_interval: float | None) -> Panel:
        blocks = profile.blocks if poll_interval is None else [
            b.model_copy(update={"interval": poll_interval}) for b in profile.blocks]
        return cls(device_id, unit_id, profile, plan_requests(blocks), PanelTracker(profile))


class Link:
    """Connect, poll every panel on schedule, reconnect with backoff: until cancelled."""

    def __init__(self, ctx: AdapterContext, host: str, port: int, framer: str, panels: Sequence[Panel],
                 settings: LinkSettings, clock: Callable[[], float] = time.time,
                 late: LateDevices | None = None) -> None:
        self.ctx = ctx
        self.late = late or LateDevices(ctx, "timeout")  # the adapter's, shared by its links
        self.host, self.port, self.framer = host, port, framer
        self.panels = list(panels)
        self.settings = settings
        self.clock = clock
        self.name = f"{host}:{port}"
        self.log = ctx.log.bind(link=self.name)
        self._answered = False  # any answer since the last connect (resets the reconnect backoff)
        self._pairing = ResponsePairing(self._late_answer)
        self._late_logged_at = -_LATE_LOG_INTERVAL
        self._connected = False
        # Commands go before the next read: the connection carries one request at a time.
        self._writes: collections.deque[_Write] = collections.deque()
        self._wake = asyncio.Event()

    async def send_command(self, panel: Panel, command: Command) -> None:
        """Write ``command`` to ``panel`` between two polls; returns once the panel answered the
        write. Raises CapabilityError if the link is down, the panel refuses or does not answer."""
        if not self._connected:
            raise CapabilityError(f"{panel.device_id} is not connected ({self.name} is down)")
        write = _Write(panel, command, asyncio.get_running_loop().create_future())
        self._writes.append(write)
        self._wake.set()
        try:
            await asyncio.shield(write.done)
        except asyncio.CancelledError:
            if write in self._writes:  # not sent yet: it never will be
                self._writes.remove(write)
            raise

    def _fail_writes(self, reason: str) -> None:
        while self._writes:
            write = self._writes.popleft()
            if not write.done.done():
                write.done.set_exception(CapabilityError(f"{write.panel.device_id}: {reason}"))

    async def run(self) -> None:
        backoff = Backoff(self.settings.reconnect_min, self.settings.reconnect_max)
        while True:
            client = AsyncModbusTcpClient(
                self.host, port=self.port, framer=FRAMERS[self.framer], name=self.name,
                reconnect_delay=0,  # we reconnect ourselves, to report panels offline meanwhile
                timeout=self.settings.timeout, retries=0,
            )
            # pymodbus would drop the link after a few unanswered requests; one silent unit on a
            # converter must not take its neighbours offline, so we decide (drop_after_timeouts).
            client.set_max_no_responses(1 << 30)
            self._answered = False
            try:
                if await client.connect():
                    self.ctx.metrics.count("connects", link=self.name)
                    self.log.info("modbus.connected", framer=self.framer, panels=len(self.panels))
                    self._connected = True
                    await self._poll(client)
                else:
                    self._all_offline(f"cannot connect to {self.name}")
            except LinkLost as exc:
                self.ctx.metrics.count("disconnects", link=self.name)
                self.log.warning("modbus.link_lost", reason=str(exc))
                self._all_offline(str(exc))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug here must not end the adapter; report and retry
                self.ctx.metrics.count("link_errors", link=self.name)
                self.log.exception("modbus.link_error", error=repr(exc))
                self._all_offline(f"internal error: {exc!r}")
            finally:
                self._connected = False
                self._fail_writes(f"connection to {self.name} lost before the command was sent")
                client.close()
            # A connection that answered was healthy: start the backoff over. One that accepted
            # TCP and answered nothing backs off like one that refused.
            if self._answered:
                backoff.succeeded()
            await asyncio.sleep(backoff.failed())

    def _all_offline(self, reason: str) -> None:
        for panel in self.panels:
            self.ctx.device_offline(panel.device_id, reason)

    async def _poll(self, client: AsyncModbusTcpClient) -> None:
        # pymodbus pairs answers by unit and transaction id only; ours also drops late answers.
        client.ctx.framer = pairing_framer(FRAMERS[self.framer], self._pairing)
        self._pairing.forget()
        loop = asyncio.get_running_loop()
        order = itertools.count()
        connected_at = loop.time()
        # Everything is due at once: a full re-read after every (re)connect. After that each link
        # keeps its own phase within the interval, so hundreds of links don't all poll in the
        # same instant (the second poll comes early, never late).
        phase = random.Random(self.name).random()
        due = [(connected_at, next(order), panel, request) for panel in self.panels for request in panel.requests]
        heapq.heapify(due)
        while due:
            while self._writes:
                await self._write(client, self._writes.popleft())
            when = due[0][0]
            wait = when - loop.time()
            if wait > 0:
                await self._idle(wait)
                raise_if_cancelling()  # (see below)
                continue
            when, _, panel, request = heapq.heappop(due)
            self._note_lag(panel, request, loop.time() - when)
            await self._read(client, panel, request)
            if when == connected_at:
                when -= request.interval * (1 - phase)
            # Python 3.11's wait_for (inside pymodbus) swallows a cancel that races with the
            # answer arriving; honour it here or the link would outlive the adapter.
            raise_if_cancelling()
            # Fall behind rather than burst: a late poll moves the next one, never doubles up. A
            # panel that stopped answering is asked less and less often, as each unanswered
            # request holds the connection (and its neighbours) for a whole timeout.
            interval = min(request.interval * 2 ** min(panel.timeouts_in_a_row, 10),
                           max(request.interval, self.settings.reconnect_max))
            heapq.heappush(due, (max(when + interval, loop.time()), next(order), panel, request))

    async def _idle(self, seconds: float) -> None:
        """Sleep until the next poll is due, or a command is waiting."""
        self._wake.clear()
        if self._writes:
            return
        try:
            async with asyncio.timeout(seconds):  # (not wait_for: it can swallow a stop, gh-86296)
                await self._wake.wait()
        except TimeoutError:
            pass

    async def _write(self, client: AsyncModbusTcpClient, write: _Write) -> None:
        panel, command = write.panel, write.command
        where = f"unit {panel.unit_id}, {command.table.value} {command.address} := {command.value}"

        def failed(result: str, why: str) -> None:
            self.ctx.metrics.count("commands", result=result)
            self.log.warning("modbus.command_failed", device=panel.device_id, command=command.name, reason=why)
            if not write.done.done():
                write.done.set_exception(CapabilityError(f"{command.name} to {panel.device_id} ({where}): {why}"))

        if not client.connected:
            failed("lost", "connection closed")
            raise LinkLost(f"connection to {self.name} closed")
        coil = command.table is Table.coil
        self._pairing.asking(Shape.of_write(panel.unit_id, 5 if coil else 6))
        try:
            if coil:
                response = await client.write_coil(command.address, bool(command.value), device_id=panel.unit_id)
            else:
                response = await client.write_register(command.address, command.value, device_id=panel.unit_id)
        except ConnectionException as exc:
            failed("lost", f"connection lost: {exc}")
            raise LinkLost(f"connection to {self.name} lost: {exc}") from None
        except (ModbusIOException, asyncio.TimeoutError) as exc:
            if not client.connected:
                failed("lost", "connection lost")
                raise LinkLost(f"connection to {self.name} lost") from None
            if not _is_timeout(exc):
                failed("bad_response", f"bad response: {exc}")
                return
            self._pairing.timed_out_now()
            # Unknown whether the panel acted: say so, an operator looks at the panel.
            failed("timeout", f"no answer within {self.settings.timeout:g} s (the panel may or may not have acted)")
            if self.framer == "rtu-over-tcp":
                await self._resync(client)
            return
        except ModbusException as exc:
            failed("bad_response", f"bad response: {exc}")
            return
        self._pairing.answered()
        self._answered = True
        if response.isError():
            code = getattr(response, "exception_code", 0)
            failed("exception", f"the panel refused the write: exception {code}: "
                   f"{EXCEPTION_NAMES.get(code, 'unknown code')}")
            return
        self.ctx.metrics.count("commands", result="ok")
        self.log.info("modbus.command_sent", device=panel.device_id, command=command.name)
        if not write.done.done():
            write.done.set_result(None)

    async def _read(self, client: AsyncModbusTcpClient, panel: Panel, request: ReadRequest) -> None:
        if not client.connected:
            raise LinkLost(f"connection to {self.name} closed")
        started = time.perf_counter()
        self._pairing.asking(Shape.of_read(panel.unit_id, _FUNCTION_CODE[request.table], request.count,
                                           request.table.is_bits))
        try:
            response = await _READ[request.table](client, request.start, count=request.count,
                                                  device_id=panel.unit_id)
        except ConnectionException as exc:
            raise LinkLost(f"connection to {self.name} lost: {exc}") from None
        except (ModbusIOException, asyncio.TimeoutError) as exc:
            if not client.connected:
                raise LinkLost(f"connection to {self.name} lost") from None
            if not _is_timeout(exc):  # an answer that does not belong to the request
                self._fail(panel, request, "bad_response", f"bad response: {exc}")
                return
            self._pairing.timed_out_now()
            panel.timeouts_in_a_row += 1
            self._fail(panel, request, "timeout", f"no answer within {self.settings.timeout:g} s")
            # Only when no panel on the connection answers is the connection itself suspect.
            if all(p.timeouts_in_a_row >= self.settings.drop_after_timeouts for p in self.panels):
                raise LinkLost(f"{self.name} accepted TCP but answered none of the last "
                               f"{panel.timeouts_in_a_row} requests") from exc
            if self.framer == "rtu-over-tcp":
                await self._resync(client)
            return
        except ModbusException as exc:  # a frame pymodbus could not make sense of
            self._fail(panel, request, "bad_response", f"bad response: {exc}")
            return
        self._pairing.answered()
        panel.timeouts_in_a_row = 0
        self._answered = True
        self.ctx.metrics.observe("request", time.perf_counter() - started, link=self.name)
        if response.isError():
            code = getattr(response, "exception_code", 0)
            self._fail(panel, request, "exception", f"exception {code}: {EXCEPTION_NAMES.get(code, 'unknown code')}")
            return
        values = response.bits[:request.count] if request.table.is_bits else response.registers
        if len(values) != request.count:
            self._fail(panel, request, "short_response", f"asked for {request.count} values, got {len(values)}")
            return
        try:
            transitions = panel.tracker.feed(request.table, request.start, values)
        except RegisterValueError as exc:
            self._fail(panel, request, "bad_value", str(exc))
            return
        self.ctx.metrics.count("requests", result="ok")
        panel.failing.pop(request, None)
        if not panel.failing:
            self.ctx.device_seen(panel.device_id)
        now = self.clock()
        for transition in transitions:
            self._emit(transition_event(panel.device_id, panel.profile, transition, now))

    def _note_lag(self, panel: Panel, request: ReadRequest, lag: float) -> None:
        """One request at a time per link: a panel waits for its neighbours' answers (and whole
        timeouts of silent ones). Say so in its facts when that makes it later than its interval."""
        self.ctx.metrics.observe("poll_lag", max(0.0, lag), link=self.name)
        behind = lag > request.interval
        if behind == panel.behind:
            return
        panel.behind = behind
        if not behind:
            self.ctx.set_device_facts(panel.device_id, {"polling": "on time"})
            self.late.on_time(panel.device_id)
            return
        why = (f"polled {lag:.1f} s late, link {self.name} is busy ({len(self.panels)} panel(s), one request "
               f"at a time, up to timeout {self.settings.timeout:g} s each)")
        self.ctx.set_device_facts(panel.device_id, {"polling": f"behind: {why}"})
        self.late.late(panel.device_id, why)

    async def _resync(self, client: AsyncModbusTcpClient) -> None:
        """Start a fresh TCP session after an RTU timeout: an RTU answer carries no transaction id,
        so a late one to the same unit and register block could not be told from the answer to
        the next request; on a new connection it cannot arrive at all."""
        self.ctx.metrics.count("resyncs", link=self.name)
        client.close()
        if not await client.connect():
            raise LinkLost(f"cannot reconnect to {self.name} after a timeout")
        self._pairing.forget()

    def _late_answer(self, pdu, reason: str) -> None:
        self.ctx.metrics.count("late_responses", link=self.name)
        now = time.monotonic()
        if now - self._late_logged_at >= _LATE_LOG_INTERVAL:
            self._late_logged_at = now
            self.log.warning("modbus.late_response_dropped", unit=pdu.dev_id, function=pdu.function_code,
                             reason=reason)

    def _fail(self, panel: Panel, request: ReadRequest, result: str, why: str) -> None:
        reason = f"unit {panel.unit_id}, {request.table.value} {request.start}+{request.count}: {why}"
        self.ctx.metrics.count("requests", result=result)
        if panel.failing.get(request) != reason:
            self.log.warning("modbus.request_failed", device=panel.device_id, reason=reason)
        panel.failing[request] = reason
        self.ctx.device_faulty(panel.device_id, reason)

    def _emit(self, event) -> None:
        self.ctx.metrics.count("events", type=event.type)
        future = self.ctx.emit(event)
        future.add_done_callback(self._emitted)

    def _emitted(self, future: asyncio.Future) -> None:
        if not future.cancelled() and future.exception() is not None:
            self.ctx.metrics.count("emit_failures")
            self.log.error("modbus.emit_failed", error=repr(future.exception()))
