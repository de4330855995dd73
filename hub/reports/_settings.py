"""What reports are computed with (``reports:`` in hub.yaml, see hub.config.reporting)."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from hub.journal import DEFAULT_EVERY
from hub.reports._classes import DeviceClasses


@dataclasses.dataclass(frozen=True)
class ReportSettings:
    classes: DeviceClasses = dataclasses.field(default_factory=DeviceClasses)
    #: GB/T 2260 code (short prefix: "14", "1408", "140802") -> name, for reports people read.
    region_names: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: school id -> name.
    school_names: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: A device is "networked" in a "now" report if it was online within this long.
    networked_lookback: float = 86400.0
    #: How often the hub journals its inventory again (so a rebuild after retention knows it).
    census_interval: float = 86400.0
    #: A panic device must have sent a test within this period ...
    panic_test_period: float = 86400.0
    #: ... which reached the hub within this many seconds of the device sending it.
    panic_test_max_delay: float = 10.0
    #: Event types (prefixes) that are a panic device's test (SIA RP/RX, Contact ID 602).
    panic_test_types: tuple[str, ...] = ("system.test", "panic.test")
    #: Fire panels: simulated transmissions needed per calendar month.
    fire_tests_per_month: int = 2
    fire_test_types: tuple[str, ...] = ("system.test", "fire.test")
    #: More false alarms than this in a day is flagged.
    false_alarms_per_day: int = 5
    #: UTC offset of the calendar days and months reports count in (China: +8 h).
    utc_offset: float = 8 * 3600.0
    #: The longest window a report may ask for (the journal's retention; None: no limit).
    retention: float | None = 30 * 86400.0
    #: Journal entries the projection folds between two snapshots of its state (see
    #: hub.journal.SnapshotKeeper; a restart reads at most this many more than came while down).
    snapshot_every: int = DEFAULT_EVERY
