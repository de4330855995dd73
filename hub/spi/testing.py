"""An in-memory :class:`hub.spi.AdapterContext` for adapter tests.

It implements the SPI for real (sequences, device state transitions, facts) without a journal or
gRPC, so an adapter can be tested against a simulator over loopback and its output inspected.
End-to-end tests use the real hub instead.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from hub.events import Event, stamp_received
from hub.spi import DeviceSpec


@dataclasses.dataclass
class DeviceRecord:
    state: str = "unknown"  # unknown | online | offline | faulty
    reason: str = ""
    seen: int = 0
    facts: dict[str, str] = dataclasses.field(default_factory=dict)
    transitions: list[tuple[str, str]] = dataclasses.field(default_factory=list)


class RecordingMetrics:
    def __init__(self) -> None:
        self.counters: dict[tuple[str, tuple], float] = {}
        self.gauges: dict[tuple[str, tuple], float] = {}
        self.observations: dict[tuple[str, tuple], list[float]] = {}

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        self.counters[key] = self.counters.get(key, 0) + amount

    def gauge(self, name: str, value: float, **labels: str) -> None:
        self.gauges[(name, tuple(sorted(labels.items())))] = value

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        self.observations.setdefault((name, tuple(sorted(labels.items()))), []).append(seconds)

    def total(self, name: str, **labels: str) -> float:
        """Sum of counter ``name`` over every label set that includes ``labels``."""
        wanted = set(labels.items())
        return sum(v for (n, lbl), v in self.counters.items() if n == name and wanted <= set(lbl))


class RecordingContext:
    """Records what an adapter emits; ``emit`` resolves with increasing sequences.

    ``journal_delay`` delays every emit's resolution (to test ACK-after-journal ordering) and
    ``fail_emits`` makes emits fail (to test a journal that cannot take events).
    """

    def __init__(self, instance: str, devices: Sequence[DeviceSpec] = (), *, journal_delay: float = 0.0,
                 other_devices: Sequence[DeviceSpec] = ()) -> None:
        self.instance = instance
        self.devices = list(devices)
        self.all_devices = self.devices + list(other_devices)
        self.log = structlog.get_logger("adapter").bind(adapter=instance)
        self.metrics = RecordingMetrics()
        self.events: list[Event] = []
        self.records: dict[str, DeviceRecord] = {d.id: DeviceRecord() for d in self.all_devices}
        self.journal_delay = journal_delay
        self.fail_emits = False
        self._next_sequence = 1
        self._changed = asyncio.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-blocking")

    # --- the SPI ---------------------------------------------------------------------------
    def emit(self, event: Event) -> asyncio.Future[int]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        stamp_received(event)

        def journaled() -> None:
            if self.fail_emits:
                future.set_exception(OSError("journal unavailable (test)"))
                return
            event.sequence = self._next_sequence
            self._next_sequence += 1
            self.events.append(event)
            self._notify()
            future.set_result(event.sequence)

        if self.journal_delay:
            loop.call_later(self.journal_delay, journaled)
        else:
            loop.call_soon(journaled)
        return future

    def device_seen(self, device_id: str) -> None:
        record = self._record(device_id)
        record.seen += 1
        if record.state != "online":
            self._transition(device_id, "online", "")

    def device_online(self, device_id: str, reason: str = "") -> None:
        self._transition(device_id, "online", reason)

    def device_offline(self, device_id: str, reason: str) -> None:
        self._transition(device_id, "offline", reason)

    def device_faulty(self, device_id: str, reason: str) -> None:
        self._transition(device_id, "faulty", reason)

    def set_device_facts(self, device_id: str, facts: Mapping[str, str]) -> None:
        self._record(device_id).facts.update(facts)
        self._notify()

    async def run_blocking(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def recent_events(self, seconds: float) -> list[Event]:
        cutoff = time.time() - seconds
        return [e for e in self.events if e.received_at.seconds + e.received_at.nanos / 1e9 >= cutoff]

    # --- for tests ---------------------------------------------------------------------------
    def state(self, device_id: str) -> str:
        return self._record(device_id).state

    def of_type(self, type_: str) -> list[Event]:
        return [e for e in self.events if e.type == type_]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every emit or state change)."""
        async def waiter():
            while True:
                result = predicate()
                if result:
                    return result
                self._changed.clear()
                await self._changed.wait()
        try:
            return await asyncio.wait_for(waiter(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; events so far: "
                f"{[(e.source_device_id, e.type, e.state) for e in self.events]}, "
                f"devices: {{{', '.join(f'{k}: {v.state} ({v.reason})' for k, v in self.records.items())}}}"
            ) from None

    async def wait_for_event(self, type_: str, timeout: float = 5.0, **fields: Any) -> Event:
        def find():
            for event in self.events:
                if event.type == type_ and all(getattr(event, k) == v for k, v in fields.items()):
                    return event
            return None
        return await self.wait_for(find, timeout, f"event {type_} {fields}")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _record(self, device_id: str) -> DeviceRecord:
        return self.records.setdefault(device_id, DeviceRecord())

    def _transition(self, device_id: str, state: str, reason: str) -> None:
        record = self._record(device_id)
        if record.state != state:
            record.transitions.append((state, reason))
        record.state, record.reason = state, reason
        self._notify()

    def _notify(self) -> None:
        self._changed.set()


async def eventually(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition",
                     interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it is truthy and return its value: for state nothing wakes a
    waiter on (sockets, simulators, metrics), where RecordingContext.wait_for cannot be used."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (result := predicate()):
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)
    return result
