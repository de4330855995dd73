"""Reading a subscription in tests."""
from __future__ import annotations

import asyncio


async def collect(call, count, timeout=5.0):
    """The events of a Subscribe call until there are ``count`` of them; then cancel it."""
    events = []

    async def run():
        async for response in call:
            events.extend(response.batch.events)
            if len(events) >= count:
                return
    await asyncio.wait_for(run(), timeout)
    call.cancel()
    return events
