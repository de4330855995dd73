"""DecidedTable: the items (alarms, ledger entries) of a projection that decides changes.

Such a projection never writes the journal itself: each change it decides, from a device event,
a person's command or the time, is submitted as an event through the pipeline, and its table is
what it reads back. So it holds two tables. ``decided`` has every change decided so far: the next
decision starts from it, so a command sees a change still on its way to the journal. ``table``
has what is journaled, applied as the change events are read back at ``position``: readers see
it, and it is rebuilt from the change events alone.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from hub.events import Event


class _Item(Protocol):
    id: str
    revision: int


Item = TypeVar("Item", bound=_Item)


class DecidedTable(Generic[Item]):
    """``decided`` and ``table`` of one projection, and its ``position`` (see the module docstring).

    ``change_event(item, kind, source_sequence, peer)`` makes the event journaling a change;
    ``submit(event, adapter)`` is the pipeline's; ``changed`` is the model's result type for a
    change (anything else it returns is a refusal); ``not_found(id)`` and ``refused(result)``
    make the exceptions a command raises. ``on_decided(item)``, when given, is told of every item
    that becomes what the next decision starts from (to keep an index of ``decided``)."""

    def __init__(self, submit: Callable[[Event, str], asyncio.Future[int]],
                 change_event: Callable[[Item, str, int, str], Event], adapter: str, changed: type,
                 not_found: Callable[[str], Exception], refused: Callable[[object], Exception],
                 on_decided: Callable[[Item], None] | None = None) -> None:
        self._submit = submit
        self._on_decided = on_decided
        self._change_event = change_event
        self._adapter = adapter
        self._changed = changed
        self._not_found = not_found
        self._refused = refused
        self.table: dict[str, Item] = {}
        self.decided: dict[str, Item] = {}
        #: The journal sequence ``table`` reflects (its revision).
        self.position = 0
        self._advanced = asyncio.Event()

    def reset(self, table: dict[str, Item], position: int) -> None:
        """``table`` rebuilt (or restored) as of ``position``: nothing is decided beyond it."""
        self.table = table
        self.decided = {}
        for item in table.values():
            self._decide(item)
        self.advance(position)

    def applied(self, item: Item) -> None:
        """A change read back from the journal; one decided before a rebuild while running
        becomes what the next decision starts from too."""
        self.table[item.id] = item
        known = self.decided.get(item.id)
        if known is None or known.revision < item.revision:
            self._decide(item)

    def journal(self, result: tuple[Item, str], source_sequence: int = 0, peer: str = "") -> asyncio.Future[int]:
        """Submit a decided change, (the item after it, its kind); the future resolves with its
        journal sequence. ``source_sequence``: the journaled device event that caused it (0 for a
        command or the time)."""
        item, kind = result
        self._decide(item)
        return self._submit(self._change_event(item, kind, source_sequence, peer), self._adapter)

    def _decide(self, item: Item) -> None:
        self.decided[item.id] = item
        if self._on_decided is not None:
            self._on_decided(item)

    async def command(self, id_: str, decide: Callable[[Item], object], peer: str = "") -> Item:
        """Decide a person's command on item ``id_`` (``decide`` runs the model on it as decided),
        journal the change and return the item once ``table`` shows it. Raises ``not_found`` or
        ``refused`` with nothing changed."""
        item = self.decided.get(id_)
        if item is None:
            raise self._not_found(id_)
        result = decide(item)
        if not isinstance(result, self._changed):
            raise self._refused(result)
        await self.wait_applied(await self.journal(result, peer=peer))
        return self.table[id_]

    def advance(self, position: int) -> None:
        self.position = position
        advanced, self._advanced = self._advanced, asyncio.Event()
        advanced.set()

    async def wait_applied(self, sequence: int) -> None:
        """Until ``table`` reflects the journal through ``sequence``."""
        while self.position < sequence:
            await self._advanced.wait()

    async def wait_beyond(self, position: int) -> None:
        while self.position <= position:
            await self._advanced.wait()


class DecidesChanges:
    """What readers use of a projection that keeps its items in ``self.tables`` (a DecidedTable):
    its ``table``, its ``position`` and waiting for it."""

    tables: DecidedTable

    @property
    def table(self) -> dict:
        """What is journaled: id -> item. Readers use this."""
        return self.tables.table

    @property
    def position(self) -> int:
        """The journal sequence ``table`` reflects (its revision)."""
        return self.tables.position

    def get(self, id_: str):
        return self.tables.table.get(id_)

    async def wait_applied(self, sequence: int) -> None:
        """Until ``table`` reflects the journal through ``sequence``."""
        await self.tables.wait_applied(sequence)

    async def wait_beyond(self, position: int) -> None:
        await self.tables.wait_beyond(position)
