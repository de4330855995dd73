"""Install Twisted's asyncio reactor before anything imports ``twisted.internet.reactor``.

Twisted protocols, grpc.aio, pymodbus and pysnmp then share one asyncio loop. Import this module
first in every entry point (the CLI, tests' conftest, benchmarks).
"""
from __future__ import annotations

import asyncio
import sys


def install() -> None:
    """Install the asyncio reactor on the current event loop, once."""
    if "twisted.internet.reactor" in sys.modules:
        from twisted.internet import reactor

        if type(reactor).__name__ != "AsyncioSelectorReactor":
            raise RuntimeError(
                "a non-asyncio Twisted reactor was imported before hub.reactor.install(); "
                "import hub.reactor first"
            )
        return
    from twisted.internet import asyncioreactor

    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
    asyncioreactor.install(loop)
