"""What the 联网率 / 在线率 dashboard shows, without HTML: the rows of
:func:`hub.reports.connectivity` for the operator's scope (the same figures and the same place
predicate as ReportService.GetConnectivityReport), arranged as the region tree province → city
→ county → school, and the devices of a place that are offline at the window's end."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

from hub.reports import ALL_CLASSES, DEVICE_CLASSES, ReportProjection, Row, Track, connectivity, places

#: The windows the dashboard offers (seconds); the first is the report "for now".
WINDOWS = {"1d": 86400.0, "7d": 7 * 86400.0, "30d": 30 * 86400.0}
#: Most offline devices listed under a place (the count says how many there are).
MAX_OFFLINE = 500

Place = tuple[str, str]  # (level, code)


@dataclasses.dataclass(frozen=True)
class OfflineDevice:
    device: str
    school: str
    device_class: str
    #: When it went offline (0.0: never seen online).
    since: float
    online_rate: float


@dataclasses.dataclass
class Dashboard:
    start: float
    end: float
    position: int
    #: The place looked at (None: the top of the operator's tree) and the path to it, top first.
    place: Place | None
    path: list[Row]
    #: The place's own rows, one per device class ("all" first).
    own: list[Row]
    #: The places one level down, "all" classes (or the chosen one).
    children: list[Row]
    offline: list[OfflineDevice]
    offline_total: int


def window(projection: ReportProjection, length: float) -> tuple[float, float]:
    """The window of ``length`` ending now, starting no earlier than what the facts were built
    from (the journal's retention): as ReportService's report "for now"."""
    now = projection.clock()
    retained_from = projection.earliest_time
    if projection.settings.retention:
        retained_from = max(retained_from, now - projection.settings.retention)
    return max(now - length, min(retained_from, now)), now


def dashboard(projection: ReportProjection, in_place: Callable[[str, str, str], bool], place: Place | None,
              length: float, device_class: str = ALL_CLASSES) -> Dashboard | None:
    """The dashboard at ``place`` for the tracks ``in_place`` admits; None if ``place`` has no
    devices in scope (it is not the operator's, or does not exist: the same answer)."""
    facts = projection.facts
    start, end = window(projection, length)

    def include(track: Track) -> bool:
        return in_place(track.region, track.school, track.device)

    rows = connectivity(facts, projection.settings, start, end, include)
    by_place: dict[Place, dict[str, Row]] = {}
    for row in rows:
        by_place.setdefault((row.level, row.code), {})[row.device_class] = row
    parents: dict[Place, Place | None] = {}
    for track in facts.tracks.values():
        if track.in_inventory(end) and include(track):
            chain = places(track)
            parents.setdefault(chain[0], None)
            for parent, child in zip(chain, chain[1:]):
                parents.setdefault(child, parent)
    if place is None:
        place = _top(parents)
    if place is not None and place not in by_place:
        return None
    path = []
    at = place
    while at is not None:
        path.append(by_place[at][ALL_CLASSES])
        at = parents.get(at)
    path.reverse()
    wanted = device_class if device_class in DEVICE_CLASSES else ALL_CLASSES
    children = [by_place[child][wanted] for child, parent in parents.items()
                if parent == place and wanted in by_place[child]]
    children.sort(key=lambda r: (r.networked_rate, r.code))  # (the worst first: what needs a call)
    own = list(by_place[place].values()) if place is not None else []
    offline = _offline(projection, include, place, start, end)
    return Dashboard(start, end, projection.position, place, path, own, children, offline[:MAX_OFFLINE],
                     len(offline))


def _top(parents: dict[Place, Place | None]) -> Place | None:
    """The widest place under which every place in scope lies, going down while there is one
    child only and it is not a school (a county desk starts at its county)."""
    roots = [p for p, parent in parents.items() if parent is None]
    if len(roots) != 1:
        return None
    at = roots[0]
    while True:
        children = [p for p, parent in parents.items() if parent == at]
        if len(children) != 1 or children[0][0] == "school":
            return at
        at = children[0]


def _offline(projection: ReportProjection, include, place: Place | None, start: float,
             end: float) -> list[OfflineDevice]:
    found = []
    for track in projection.facts.tracks.values():
        if not track.in_inventory(end) or track.is_online(end) or not include(track):
            continue
        if place is not None and place not in places(track):
            continue
        went = 0.0
        if track.times and any(track.online):
            went = track.times[-1]
        joined = max(start, track.registered_at)
        seconds = end - joined
        found.append(OfflineDevice(track.device, track.school, track.device_class, went,
                                   track.online_seconds(joined, end) / seconds if seconds > 0 else 0.0))
    found.sort(key=lambda d: (d.since, d.school, d.device))
    return found


def parse_place(text: str) -> Place | None:
    """``level:code`` from a link; None for the top. Raises ValueError for anything else."""
    if not text:
        return None
    level, _, code = text.partition(":")
    if level not in ("province", "city", "county", "school") or not code or len(code) > 128:
        raise ValueError(text)
    if level != "school" and not (code.isascii() and code.isdigit() and len(code) == {"province": 2, "city": 4,
                                                                                        "county": 6}[level]):
        raise ValueError(text)
    return level, code


__all__ = ["Dashboard", "MAX_OFFLINE", "OfflineDevice", "WINDOWS", "dashboard", "parse_place", "window"]
