"""Uplink instances in the service tree: each supervised and restarted like an adapter."""
from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import structlog

from hub.events import Event
from hub.journal import Journal
from hub.kernel._metrics import AdapterMetrics
from hub.kernel._supervisor import AdapterService
from hub.spi import Uplink

__all__ = ["HubUplinkContext", "UplinkInstance", "UplinkService"]


@dataclasses.dataclass(frozen=True)
class UplinkInstance:
    name: str
    cls: type[Uplink]
    options: object


class HubUplinkContext:
    """The hub's :class:`hub.spi.UplinkContext`."""

    def __init__(self, instance: str, hub_id: str, journal: Journal, forward: Callable[[Event], asyncio.Future[int]],
                 metrics: AdapterMetrics) -> None:
        self.instance = instance
        self.hub_id = hub_id
        self.journal = journal
        self.metrics = metrics
        self.log = structlog.get_logger("uplink").bind(uplink=instance)
        self._forward = forward

    def forward(self, event: Event) -> asyncio.Future[int]:
        return self._forward(event)


class UplinkService(AdapterService):
    """Supervises one uplink instance (the adapters' supervisor: backoff, restarts counted)."""

    def __init__(self, instance: str, build: Callable[[], Uplink], **kwargs) -> None:
        super().__init__(instance, build, **kwargs)
        self.name = f"uplink:{instance}"

    @property
    def running_uplink(self) -> Uplink | None:
        return self.running_adapter
