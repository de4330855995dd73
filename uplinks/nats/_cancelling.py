"""Honouring a cancellation that nats-py lost.

nats-py waits with ``asyncio.wait_for`` (requests, fetches, a stalled publish_async), which on
Python 3.11 returns the result and drops a cancellation that arrives in the same loop turn
(gh-86296). The task is still marked as cancelling, so the uplink's loops check that after each
such call; otherwise a stopping uplink would fetch or publish on for ever and its hub never stop.
"""
from __future__ import annotations

import asyncio

__all__ = ["raise_if_cancelling"]


def raise_if_cancelling() -> None:
    """Raise CancelledError if the current task was asked to stop (and a callee swallowed it)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
