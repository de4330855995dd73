"""How often a projection (reports, ledger) saves its snapshot: ``snapshot_every`` in their
sections, a count of journal entries (see hub.journal.SnapshotKeeper)."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Strict

__all__ = ["MAX_SNAPSHOT_EVERY", "MIN_SNAPSHOT_EVERY", "SnapshotEvery"]

#: A snapshot writes the whole projection (megabytes for a county's report facts): more often
#: than every thousand entries would cost more than the restart it saves.
MIN_SNAPSHOT_EVERY = 1_000
#: ... and rarer than this a restart reads most of a large journal anyway.
MAX_SNAPSHOT_EVERY = 100_000_000


def _in_range(value: int) -> int:
    if not MIN_SNAPSHOT_EVERY <= value <= MAX_SNAPSHOT_EVERY:
        raise ValueError(f"{value:,} journal entries between snapshots is out of range; expected a whole number "
                         f"from {MIN_SNAPSHOT_EVERY:,} to {MAX_SNAPSHOT_EVERY:,} (each snapshot writes the whole "
                         "projection; the default is 50,000)")
    return value


SnapshotEvery = Annotated[int, Strict(), AfterValidator(_in_range)]
