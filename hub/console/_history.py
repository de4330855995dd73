"""Devices' online history for the console's strips: a projection of the journal's ``device.*``
events (device.online / device.offline / device.fault), rebuilt at start from the journal's
tail and then following it. It keeps no state of its own on disk, so it can always be rebuilt."""
from __future__ import annotations

import asyncio
import collections

import structlog

from hub.journal import Journal, JournalCursor, RetentionExceeded

log = structlog.get_logger("console")

STATES = {"device.online": "online", "device.offline": "offline", "device.fault": "faulty"}
#: Transitions kept per device (a flapping device's strip needs no more).
KEEP = 512
#: How far back the rebuild reads (entries): the journal's tail cache serves this without SQLite.
REBUILD_ENTRIES = 200_000


class DeviceHistory:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._transitions: dict[str, collections.deque[tuple[float, str]]] = {}
        self._task: asyncio.Task | None = None

    def of(self, device: str) -> list[tuple[float, str]]:
        return list(self._transitions.get(device, ()))

    async def start(self) -> None:
        cursor = JournalCursor.at(self.journal, max(self.journal.earliest - 1, self.journal.head - REBUILD_ENTRIES))
        head = self.journal.head
        while cursor.position < head:
            entries = await cursor.read(5000)
            if not entries:
                break
            self._apply(entries)
        self._task = asyncio.get_running_loop().create_task(self._follow(cursor))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def _apply(self, entries) -> None:
        for entry in entries:
            state = STATES.get(entry.type)
            if state is not None:
                self._transitions.setdefault(entry.device, collections.deque(maxlen=KEEP)).append(
                    (entry.received_at, state))

    async def _follow(self, cursor: JournalCursor) -> None:
        while True:
            try:
                entries = await cursor.read(5000)
            except RetentionExceeded:
                cursor.position = self.journal.earliest - 1
                continue
            if entries:
                self._apply(entries)
            elif not await cursor.wait(timeout=5.0) and self.journal.closed:
                return
