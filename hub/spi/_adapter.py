"""The adapter base class and the context the hub gives it (see hub.spi for the contract)."""
from __future__ import annotations

import abc
import asyncio
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol, TypeVar

import pydantic

from hub.events import Event, Site

T = TypeVar("T")

__all__ = ["Adapter", "AdapterContext", "AdapterMetrics", "DeviceSpec", "NoOptions", "Upstream"]


class NoOptions(pydantic.BaseModel):
    """Options model for adapters and devices that take none."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


@dataclasses.dataclass(frozen=True)
class Upstream:
    """The switch port a device hangs off (for "upstream port down" correlation)."""

    device_id: str
    port: int


@dataclasses.dataclass(frozen=True)
class DeviceSpec:
    """A configured device as its adapter sees it."""

    id: str
    kind: str
    adapter: str
    site: Site
    name: str = ""
    options: Any = None  # an instance of the adapter's DeviceOptions
    upstream: Upstream | None = None


class AdapterMetrics(Protocol):
    """Adapter-scoped Prometheus metrics; names get the ``campushub_adapter_`` prefix and
    ``adapter`` / ``instance`` labels are added for you."""

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        """Increment counter ``campushub_adapter_<name>_total``."""

    def gauge(self, name: str, value: float, **labels: str) -> None:
        """Set gauge ``campushub_adapter_<name>``."""

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        """Observe histogram ``campushub_adapter_<name>_seconds``."""


class AdapterContext(Protocol):
    """What the hub gives an adapter instance."""

    #: The adapter instance name from the config (``adapters[].name``).
    instance: str
    #: structlog logger bound with ``adapter=<instance>``.
    log: Any
    metrics: AdapterMetrics
    #: Devices configured with ``adapter: <instance>``, in config order.
    devices: Sequence[DeviceSpec]
    #: Every configured device, of any adapter: for correlation (an SNMP adapter marks the cameras
    #: behind a switch port offline when the port goes down; the device_* calls accept any id).
    all_devices: Sequence[DeviceSpec]

    def emit(self, event: Event) -> asyncio.Future[int]:
        """Hand an event to the pipeline. The future resolves with the event's journal sequence
        once it is durably journaled (or with the sequence of the event it was folded into by
        dedupe), and fails if the journal cannot take it. Acknowledge a device only after that."""

    def device_seen(self, device_id: str) -> None:
        """The device just said something: refresh last-seen, and mark it online if it was not."""

    def device_online(self, device_id: str, reason: str = "") -> None:
        """Mark the device online (emits ``device.online`` on a transition)."""

    def device_offline(self, device_id: str, reason: str) -> None:
        """Mark the device offline with why (emits ``device.offline`` on a transition)."""

    def device_faulty(self, device_id: str, reason: str) -> None:
        """The device answers but reports errors (emits ``device.fault`` on a transition)."""

    def set_device_facts(self, device_id: str, facts: Mapping[str, str]) -> None:
        """Record what was learned about a device (model, firmware, stream URIs...)."""

    async def run_blocking(self, fn: Callable[..., T], /, *args: Any) -> T:
        """Run blocking code (a sync SOAP client, MIB file loading) on the hub's bounded pool."""

    async def recent_events(self, seconds: float) -> list[Event]:
        """Events this adapter instance emitted in the last ``seconds`` that are in the journal,
        oldest first (looking back over at most the newest 200,000 journaled events). For an
        adapter that must not emit again what a device repeats after a hub restart (a panel
        retrying a frame whose ACK the restart cut off)."""


class Adapter(abc.ABC):
    """Base class of adapter plugins."""

    #: pydantic model of the instance's ``options`` mapping.
    Options: ClassVar[type[pydantic.BaseModel]] = NoOptions
    #: pydantic model of each device's ``options`` mapping.
    DeviceOptions: ClassVar[type[pydantic.BaseModel]] = NoOptions

    def __init__(self, ctx: AdapterContext, options: pydantic.BaseModel) -> None:
        self.ctx = ctx
        self.options = options

    @abc.abstractmethod
    async def run(self) -> None:
        """Talk to the devices until cancelled. Clean up in ``finally``/on CancelledError."""
