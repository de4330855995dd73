"""Quarterly and yearly ledger statistics per place (pure): for the entries registered in the
period, counts by grade and by state, how many are overdue, the on-time rate (closed by their
deadline / closed) and the mean time to rectify (closed_at - registered_at over the closed)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable

from hub.ledger._model import Hazard


@dataclasses.dataclass
class PlaceStatistics:
    level: str
    code: str
    registered: int = 0
    by_grade: dict[str, int] = dataclasses.field(default_factory=lambda: {"general": 0, "major": 0})
    by_state: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(
        ("registered", "rectifying", "awaiting_acceptance", "closed"), 0))
    overdue: int = 0
    closed_on_time: int = 0
    rectify_seconds: float = 0.0

    @property
    def on_time_rate(self) -> float:
        closed = self.by_state["closed"]
        return self.closed_on_time / closed if closed else 0.0

    @property
    def mean_rectify_seconds(self) -> float:
        closed = self.by_state["closed"]
        return self.rectify_seconds / closed if closed else 0.0


def period(year: int, quarter: int, utc_offset: float) -> tuple[float, float]:
    """[start, end) of a quarter (1..4) or, with quarter 0, the whole year, in local time."""
    if not 1900 < year < 3000 or not 0 <= quarter <= 4:
        raise ValueError("expected a year 1901..2999 and a quarter 0 (the whole year) to 4")
    first_month = 1 if quarter == 0 else 3 * quarter - 2
    start = dt.datetime(year, first_month, 1, tzinfo=dt.timezone.utc)
    if quarter in (0, 4):
        end = dt.datetime(year + 1, 1, 1, tzinfo=dt.timezone.utc)
    else:
        end = dt.datetime(year, first_month + 3, 1, tzinfo=dt.timezone.utc)
    return start.timestamp() - utc_offset, end.timestamp() - utc_offset


def place_of(hazard: Hazard, level: str) -> str:
    region = hazard.region
    if level == "school":
        return hazard.school
    return {"province": region[:2], "city": region[:4], "county": region}[level]


def statistics(hazards: Iterable[Hazard], start: float, end: float, level: str, now: float,
               include: Callable[[Hazard], bool] = lambda h: True) -> list[PlaceStatistics]:
    places: dict[str, PlaceStatistics] = {}
    for hazard in hazards:
        if not start <= hazard.registered_at < end or not include(hazard):
            continue
        code = place_of(hazard, level)
        stats = places.get(code)
        if stats is None:
            stats = places[code] = PlaceStatistics(level, code)
        stats.registered += 1
        stats.by_grade[hazard.grade] = stats.by_grade.get(hazard.grade, 0) + 1
        stats.by_state[hazard.state] += 1
        if hazard.overdue or hazard.past_deadline(now) or (hazard.closed and hazard.closed_at > hazard.deadline):
            stats.overdue += 1
        if hazard.closed:
            stats.closed_on_time += hazard.closed_at <= hazard.deadline
            stats.rectify_seconds += hazard.closed_at - hazard.registered_at
    return sorted(places.values(), key=lambda s: s.code)
