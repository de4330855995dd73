"""The ``ledger:`` section of ``hub.yaml``: hazard categories, rectification deadlines per grade
and category, photos, and the automatic entries (see docs/integrator-guide.md).
:meth:`LedgerConfig.to_settings` gives the kernel's :class:`hub.ledger.LedgerSettings`."""
from __future__ import annotations

import pathlib
from typing import Annotated, Literal

import pydantic
from pydantic import BeforeValidator, Field

from hub.config.section import Section as _Section
from hub.config.snapshots import SnapshotEvery
from hub.config.units import parse_duration, parse_size
from hub.journal import DEFAULT_EVERY
from hub.ledger import AUTO_CATEGORIES, DEFAULT_CATEGORIES, LedgerSettings

__all__ = ["DeadlineConfig", "LedgerConfig"]

Duration = Annotated[float, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]


class DeadlineConfig(_Section):
    """How long an entry of a grade (and category) has to be rectified."""

    grade: Literal["general", "major"] = Field(description="general (一般) or major (重大).")
    category: str = Field("", description="A category from ledger.categories; empty: the grade's default.")
    within: Duration = Field(gt=0, description="Time from registration to the deadline, e.g. 7d.")


class LedgerConfig(_Section):
    """The hazard ledger (隐患台账)."""

    enabled: bool = Field(True, strict=True, description="Keep the ledger and serve LedgerService (needs reports).")
    categories: list[Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,32}$")]] = Field(
        list(DEFAULT_CATEGORIES), min_length=1, description="Hazard categories entries are filed under.")
    deadlines: list[DeadlineConfig] = Field(default_factory=list, description="Rectification deadlines; "
                                            "without one: general 7 days, major 30 days.")
    photo_dir: pathlib.Path = Field(pathlib.Path("ledger-photos"), description="Where photos were kept before they "
                                    "went into the media store (linkage.media), still read from; a relative path is "
                                    "relative to the journal's directory.")
    photo_max_size: Size = Field("900KiB", gt=0, le=1000 << 10, description="Largest photo accepted (a gRPC message is at most 1 MiB).")
    camera_offline_limit: Duration = Field("24h", gt=0, description="A camera offline longer than this becomes an "
                                           "entry (GB/T 29315: faults restored within 24 h).")
    automatic: list[Literal[tuple(AUTO_CATEGORIES)]] = Field(
        list(AUTO_CATEGORIES), description="Causes of automatic entries: " + ", ".join(AUTO_CATEGORIES) + ".")
    tick_interval: Duration = Field("60s", gt=0, description="How often overdue entries and time-driven causes "
                                    "are looked for.")
    keep_closed: Duration = Field("400d", gt=0, description="How long after it was closed an entry is kept "
                                  "(journaled again before retention takes it), so a year's statistics count it.")
    snapshot_every: SnapshotEvery = Field(DEFAULT_EVERY, description="Journal entries between two snapshots of "
                                          "the ledger's table (a restart folds at most this many, plus what came "
                                          "while the hub was down).")

    @pydantic.model_validator(mode="after")
    def _deadline_categories_exist(self) -> LedgerConfig:
        for deadline in self.deadlines:
            if deadline.category and deadline.category not in self.categories:
                raise ValueError(f"deadlines: category {deadline.category!r} is not in categories "
                                 f"({', '.join(self.categories)})")
        return self

    def to_settings(self, journal_dir: pathlib.Path) -> LedgerSettings | None:
        if not self.enabled:
            return None
        return LedgerSettings(
            categories=tuple(self.categories),
            deadlines={(d.grade, d.category): d.within for d in self.deadlines},
            photo_dir=str(self.photo_dir if self.photo_dir.is_absolute() else journal_dir / self.photo_dir),
            photo_max_bytes=self.photo_max_size, camera_offline_limit=self.camera_offline_limit,
            auto_causes=frozenset(self.automatic), tick_interval=self.tick_interval, keep_closed=self.keep_closed,
            snapshot_every=self.snapshot_every)
