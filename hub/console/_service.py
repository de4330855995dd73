"""The console as a child of the hub's service tree: its own twisted.web listener."""
from __future__ import annotations

import asyncio

import structlog
from twisted.application import service
from twisted.internet.defer import maybeDeferred

from hub.console._app import ConsoleApp, ConsoleMetrics
from hub.console._history import DeviceHistory
from hub.console._http import ConsoleSite
from hub.console._settings import ConsoleSettings

log = structlog.get_logger("console")


class ConsoleService(service.Service):
    """Serves the console on ``settings.address``; started after the journal and the alarm table
    (it joins the hub's tree last), stopped first."""

    name = "console"

    def __init__(self, hub, settings: ConsoleSettings) -> None:
        self.hub = hub
        self.settings = settings
        self.history = DeviceHistory(hub.journal)
        self.app: ConsoleApp | None = None
        self.port: int | None = None
        self._listener = None

    @property
    def url(self) -> str:
        host = self.settings.address.rpartition(":")[0]
        return f"http://{host}:{self.port}/"

    async def start(self) -> None:
        from twisted.internet import reactor

        await self.history.start()
        self.app = ConsoleApp(self.settings, self.hub, self.history, ConsoleMetrics(self.hub.metrics.registry))
        host, _, port = self.settings.address.rpartition(":")
        self._listener = reactor.listenTCP(int(port), ConsoleSite(self.app, self.settings.max_body,
                                                                       self.app.upload_limits()),
                                           interface=host.strip("[]"))
        self.port = self._listener.getHost().port
        self.startService()
        log.debug("console started", url=self.url, operators=len(self.settings.operators))

    async def stop(self) -> None:
        self.stopService()
        if self._listener is not None:
            await maybeDeferred(self._listener.stopListening).asFuture(asyncio.get_running_loop())
            self._listener = None
        if self.app is not None:
            await self.app.close_streams()
        await self.history.stop()


def attach_console(hub, settings: ConsoleSettings) -> ConsoleService:
    """Add the console to a hub not yet started (the kernel does not import the console)."""
    console = ConsoleService(hub, settings)
    console.setServiceParent(hub)
    return console
