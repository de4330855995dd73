"""Supervision of adapter instances: an adapter that raises is logged and restarted with
exponential backoff, while the rest of the hub keeps running."""
from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from twisted.application import service
from twisted.internet.defer import Deferred

from hub.spi import Adapter, Backoff

log = structlog.get_logger("supervisor")


class AdapterService(service.Service):
    """Runs one adapter instance's ``run()`` and restarts it when it fails.

    The backoff doubles from ``initial_backoff`` up to ``max_backoff`` and starts over once an
    instance has run for ``stable_after`` seconds. ``clock`` is the reactor, or a test's
    ``task.Clock``.
    """

    def __init__(self, instance: str, build: Callable[[], Adapter], *, on_restart: Callable[[], None] = lambda: None,
                 initial_backoff: float = 1.0, max_backoff: float = 60.0, stable_after: float = 60.0,
                 clock=None) -> None:
        self.name = f"adapter:{instance}"
        self.instance = instance
        self.build = build
        self.on_restart = on_restart
        self.backoff = Backoff(initial_backoff, max_backoff, stable_after=stable_after, clock=clock)
        self.restarts = 0
        self.running_adapter: Adapter | None = None
        self._task: asyncio.Task | None = None

    def startService(self) -> None:
        super().startService()
        self._task = asyncio.get_event_loop().create_task(self._supervise(), name=self.name)

    def stopService(self) -> Deferred:
        super().stopService()
        task, self._task = self._task, None
        if task is None or task.done():
            return Deferred.fromFuture(asyncio.ensure_future(asyncio.sleep(0)))
        task.cancel()
        return Deferred.fromFuture(asyncio.ensure_future(_settle(task)))

    async def _supervise(self) -> None:
        while True:
            self.backoff.started()
            try:
                self.running_adapter = self.build()
                log.info("adapter starting", adapter=self.instance)
                await self.running_adapter.run()
                log.warning("adapter run() returned; treating it as a failure", adapter=self.instance)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("adapter failed", adapter=self.instance)
            finally:
                self.running_adapter = None
            delay = self.backoff.failed()
            self.restarts += 1
            self.on_restart()
            log.info("adapter restarting after backoff", adapter=self.instance, backoff_seconds=delay,
                     restarts=self.restarts)
            await self.backoff.sleep(delay)


async def _settle(task: asyncio.Task) -> None:
    try:
        await task
    except asyncio.CancelledError:
        pass
