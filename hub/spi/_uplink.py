"""The uplink SPI: a plugin that links this hub to others (entry points ``campushub.uplinks``).

An uplink publishes this hub's journal upwards through a named, persisted
:class:`hub.journal.JournalCursor` (advanced only once the far side has acknowledged), and, at a
county, city or province hub, takes the events of the hubs below and journals them through
:meth:`UplinkContext.forward`, keeping their origin. It is configured under ``uplinks:`` like an
adapter (``name``, ``type``, ``options`` checked by its ``Options`` model) and supervised like one:
``run()`` raising is logged and restarted with backoff.
"""
from __future__ import annotations

import abc
import asyncio
from typing import Any, ClassVar, Protocol

import pydantic

from hub.events import Event
from hub.spi._adapter import AdapterMetrics, NoOptions

__all__ = ["Uplink", "UplinkContext"]


class UplinkContext(Protocol):
    """What the hub gives an uplink instance."""

    #: The instance name from the config (``uplinks[].name``).
    instance: str
    #: This hub's id (``hub.id``): the origin of the events it publishes.
    hub_id: str
    #: structlog logger bound with ``uplink=<instance>``.
    log: Any
    metrics: AdapterMetrics
    #: The hub's journal: read it with a named JournalCursor.
    journal: Any

    def forward(self, event: Event) -> asyncio.Future[int]:
        """Journal an event that came from a lower hub as it is (its site, times and origin
        fields kept; no dedupe, no registry lookup). The future resolves with this hub's sequence
        once durable: acknowledge the lower hub only after that."""


class Uplink(abc.ABC):
    """Base class of uplink plugins."""

    #: pydantic model of the instance's ``options`` mapping.
    Options: ClassVar[type[pydantic.BaseModel]] = NoOptions

    def __init__(self, ctx: UplinkContext, options: pydantic.BaseModel) -> None:
        self.ctx = ctx
        self.options = options

    @abc.abstractmethod
    async def run(self) -> None:
        """Link until cancelled; raise to be restarted after a backoff."""

    def status(self) -> dict[str, object]:
        """What health and metrics report (backlog, connection); override to say more."""
        return {}
