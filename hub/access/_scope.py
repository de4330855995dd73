"""Who may see what: subscriber scopes, client filters, and the matcher they compile to.

A scope is what the hub's config grants a subscriber; a filter is what the client asks for. The
effective selection is their intersection, and a filter that reaches outside the scope is refused
(PERMISSION_DENIED) rather than silently trimmed, so a platform learns its configuration is wrong.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping

from hub.events import Category, Severity

_REGION_PREFIX = re.compile(r"^(\d{2}|\d{4}|\d{6})$")
MAX_FILTER_ITEMS = 1000


class FilterError(ValueError):
    """The filter is malformed (INVALID_ARGUMENT)."""


class ScopeError(PermissionError):
    """The filter asks for something outside the subscriber's scope (PERMISSION_DENIED)."""


@dataclasses.dataclass(frozen=True)
class Scope:
    region_prefixes: tuple[str, ...] = ()
    school_ids: frozenset[str] = frozenset()
    categories: frozenset[int] = frozenset()  # empty: every category
    all_regions: bool = False

    def describe(self) -> str:
        parts = []
        if self.all_regions:
            parts.append("all regions")
        if self.region_prefixes:
            parts.append("regions " + ",".join(self.region_prefixes))
        if self.school_ids:
            parts.append("schools " + ",".join(sorted(self.school_ids)))
        if self.categories:
            parts.append("categories " + ",".join(sorted(Category.Name(c) for c in self.categories)))
        return "; ".join(parts) or "nothing"


@dataclasses.dataclass(frozen=True)
class Selection:
    """The effective, validated selection of one stream."""

    scope: Scope
    region_prefixes: tuple[str, ...] = ()
    school_ids: frozenset[str] = frozenset()
    categories: frozenset[int] = frozenset()
    min_severity: int = 0
    type_prefixes: tuple[str, ...] = ()
    device_ids: frozenset[str] = frozenset()

    @property
    def selects_everything(self) -> bool:
        """True when nothing narrows the stream (an all-regions scope with an empty filter), so
        streams can skip per-event matching."""
        return (self.scope.all_regions and not self.scope.categories and not self.region_prefixes
                and not self.school_ids and not self.categories and not self.min_severity
                and not self.type_prefixes and not self.device_ids)

    def matcher(self) -> Callable[[str, str, int, int, str, str], bool]:
        """A fast predicate over an event's (region, school, category, severity, type, device)."""
        in_place = self.place_matcher()
        categories = self.categories or self.scope.categories
        min_severity, types = self.min_severity, self.type_prefixes

        def match(region: str, school: str, category: int, severity: int, type_: str, device: str) -> bool:
            if categories and category not in categories:
                return False
            if severity < min_severity:
                return False
            if types and not type_.startswith(types):
                return False
            return in_place(region, school, device)

        return match

    def place_matcher(self) -> Callable[[str, str, str], bool]:
        """A predicate over (region, school, device) alone: for devices, which have no category."""
        scope = self.scope
        scope_regions, scope_schools, scope_all = scope.region_prefixes, scope.school_ids, scope.all_regions
        regions, schools, devices = self.region_prefixes, self.school_ids, self.device_ids

        def in_place(region: str, school: str, device: str) -> bool:
            if not scope_all and not (school in scope_schools or (region and region.startswith(scope_regions))):
                return False
            if regions and not (region and region.startswith(regions)):
                return False
            if schools and school not in schools:
                return False
            if devices and device not in devices:
                return False
            return True

        return in_place


#: Longest part of a client's value echoed in an error: a whole 100 KB value made the status
#: details too large for clients (RESOURCE_EXHAUSTED in Python, a hang in Node's grpc-js).
SHOWN_CHARACTERS = 40


def shown(value: str) -> str:
    """``value`` for an error message: quoted, and cut to SHOWN_CHARACTERS with its length."""
    if len(value) <= SHOWN_CHARACTERS:
        return repr(value)
    return f"{value[:SHOWN_CHARACTERS]!r}... ({len(value)} characters)"


def select(scope: Scope, event_filter, school_regions: Mapping[str, str]) -> Selection:
    """Validate a client's `EventFilter` against a scope. ``school_regions`` maps the hub's
    known school ids to their region codes."""
    if event_filter is None:
        return Selection(scope)
    for name in ("region_prefixes", "school_ids", "categories", "type_prefixes", "device_ids"):
        if len(getattr(event_filter, name)) > MAX_FILTER_ITEMS:
            raise FilterError(f"filter.{name} has more than {MAX_FILTER_ITEMS} items")
    regions = tuple(dict.fromkeys(event_filter.region_prefixes))
    for prefix in regions:
        if not _REGION_PREFIX.match(prefix):
            raise FilterError(f"filter.region_prefixes: {shown(prefix)} is not a GB/T 2260 prefix "
                              f"(2, 4 or 6 digits, e.g. '14', '1408', '140802')")
        if not (scope.all_regions or prefix.startswith(scope.region_prefixes)):
            raise ScopeError(f"region prefix {shown(prefix)} is outside your scope ({scope.describe()})")
    schools = frozenset(event_filter.school_ids)
    for school in schools:
        if not school or len(school) > 128:
            raise FilterError("filter.school_ids: school ids are 1..128 characters")
        region = school_regions.get(school, "")
        if not (scope.all_regions or school in scope.school_ids
                or (region and region.startswith(scope.region_prefixes))):
            raise ScopeError(f"school {shown(school)} is outside your scope ({scope.describe()})")
    categories = frozenset(event_filter.categories)
    for category in categories:
        if category not in Category.values() or category == Category.CATEGORY_UNSPECIFIED:
            raise FilterError(f"filter.categories: {category} is not a known category")
        if scope.categories and category not in scope.categories:
            raise ScopeError(f"category {Category.Name(category)} is outside your scope ({scope.describe()})")
    severity = event_filter.min_severity
    if severity not in Severity.values():
        raise FilterError(f"filter.min_severity: {severity} is not a known severity")
    types = tuple(dict.fromkeys(event_filter.type_prefixes))
    for prefix in types:
        if not prefix or len(prefix) > 128 or not re.fullmatch(r"[a-z0-9_.]+", prefix):
            raise FilterError(f"filter.type_prefixes: {shown(prefix)} is not a dotted type prefix like 'fire.' "
                              f"(lowercase letters, digits, '_' and '.')")
    devices = frozenset(event_filter.device_ids)
    if any(not d or len(d) > 256 for d in devices):
        raise FilterError("filter.device_ids: device ids are 1..256 characters")
    return Selection(scope, regions, schools, categories, severity, types, devices)
