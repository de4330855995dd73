"""The HTTP machinery every camera of one ONVIF adapter shares: the non-blocking SOAP client the
pull loops use and the blocking zeep transport of setup, PTZ, relays and snapshots.

Neither holds anything of one camera (credentials are signed into each request, connection pools
are keyed by host and port), so one of each serves them all; per camera they cost ~60 KiB
(bench/bench_memory.py).
"""
from __future__ import annotations

import asyncio
import dataclasses

from adapters.onvif.client import BoundedTransport
from adapters.onvif.options import OnvifOptions
from adapters.onvif.transport import SoapHttpClient

__all__ = ["SharedClients"]


@dataclasses.dataclass(frozen=True)
class SharedClients:
    soap: SoapHttpClient
    blocking: BoundedTransport

    @classmethod
    def create(cls, reactor, options: OnvifOptions) -> SharedClients:
        return cls(
            soap=SoapHttpClient(reactor, max_bytes=options.max_response_bytes),
            # Cameras being set up at once are the ones the blocking pool talks to most.
            blocking=BoundedTransport(timeout=options.request_timeout, max_bytes=options.max_response_bytes,
                                      hosts=options.max_setups),
        )

    async def close(self) -> None:
        """Close idle connections (a hung camera's cannot hold up a shutdown for long)."""
        try:
            async with asyncio.timeout(5.0):  # (not wait_for: it can swallow a stop, gh-86296)
                await self.soap.close()
        finally:
            self.blocking.close()
