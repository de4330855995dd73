"""Stopping the background tasks a service started on the loop."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable

__all__ = ["cancel_and_wait"]


async def cancel_and_wait(tasks: Iterable[asyncio.Task | None]) -> None:
    """Cancel each task (None: never started) and wait until it has ended, so a stopped service
    leaves nothing running."""
    for task in tasks:
        if task is None:
            continue
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
