"""Honouring a cancellation that a library lost.

Libraries that wait with ``asyncio.wait_for`` (nats-py's requests, fetches and a stalled
publish_async; pymodbus' requests) on Python 3.11 return the result and drop a cancellation that
arrives in the same loop turn (gh-86296). The task is still marked as cancelling, so an adapter's
or uplink's loop checks that after each such call; otherwise a stopping one would poll, fetch or
publish on for ever and its hub never stop.
"""
from __future__ import annotations

import asyncio

__all__ = ["raise_if_cancelling"]


def raise_if_cancelling() -> None:
    """Raise CancelledError if the current task was asked to stop (and a callee swallowed it)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
