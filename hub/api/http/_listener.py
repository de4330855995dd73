"""The HTTP listener as a child of the hub's service tree."""
from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry
from twisted.application import service
from twisted.internet.defer import maybeDeferred


class HttpService(service.Service):
    """Serves ``/metrics`` (Prometheus text format) from ``registry`` on ``address``, and the media
    store's pictures at their signed, expiring ``/media/<sha256>?expires=..&sig=..`` paths."""

    name = "http"

    def __init__(self, address: str, registry: CollectorRegistry, media=None) -> None:
        self.address = address
        self.media = media
        self.registry = registry
        self.port: int | None = None
        self._listener = None

    async def start(self) -> None:
        from prometheus_client.twisted import MetricsResource
        from twisted.internet import reactor
        from twisted.web.resource import Resource
        from twisted.web.server import Site

        host, _, port = self.address.rpartition(":")
        root = Resource()
        root.putChild(b"metrics", MetricsResource(registry=self.registry))
        if self.media is not None:
            from hub.api.http._media import SignedMedia

            root.putChild(b"media", SignedMedia(self.media))
        self._listener = reactor.listenTCP(int(port), Site(root), interface=host.strip("[]"))
        self.port = self._listener.getHost().port
        self.startService()

    async def stop(self) -> None:
        self.stopService()
        if self._listener is not None:
            await maybeDeferred(self._listener.stopListening).asFuture(asyncio.get_running_loop())
            self._listener = None
