"""What the ledger runs with (``ledger:`` in hub.yaml, see hub.config.ledger)."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from hub.journal import DEFAULT_EVERY

DEFAULT_CATEGORIES = ("fire", "security", "video", "network", "power", "building", "other")
#: Rectification deadline per grade when config names none for the category.
DEFAULT_DEADLINES = {"general": 7 * 86400.0, "major": 30 * 86400.0}
#: The category of each automatic entry's cause.
AUTO_CATEGORIES = {"camera_offline": "video", "fire.fault": "fire", "fire.supervisory": "fire",
                   "power.on_battery": "power", "power.battery_low": "power", "false_alarms": "security",
                   "panic_test_missed": "security"}


@dataclasses.dataclass(frozen=True)
class LedgerSettings:
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    #: (grade, category) -> seconds; a grade alone under (grade, "") is its default.
    deadlines: Mapping[tuple[str, str], float] = dataclasses.field(default_factory=dict)
    photo_dir: str = "./data/ledger-photos"
    photo_max_bytes: int = 900 << 10
    #: A camera offline longer than this becomes an entry (GB/T 29315: restored within 24 h).
    camera_offline_limit: float = 86400.0
    #: Automatic causes on (camera_offline, fire.fault, fire.supervisory, power.on_battery,
    #: power.battery_low, false_alarms, panic_test_missed).
    auto_causes: frozenset[str] = frozenset(AUTO_CATEGORIES)
    #: How often time-driven changes (overdue, camera offline, tests) are looked for.
    tick_interval: float | None = 60.0
    #: A closed entry is re-journaled before retention takes its record for this long after it
    #: was closed (so a year's statistics still count it); then it leaves the ledger.
    keep_closed: float = 400 * 86400.0
    #: Journal entries the ledger folds between two snapshots of its table (hub.journal.SnapshotKeeper).
    snapshot_every: int = DEFAULT_EVERY

    def deadline_for(self, grade: str, category: str) -> float:
        return self.deadlines.get((grade, category)) or self.deadlines.get((grade, "")) or DEFAULT_DEADLINES[grade]
