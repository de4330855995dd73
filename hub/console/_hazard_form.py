"""The 登记 (register) form of the hazard ledger: what it offers the operator (the schools of their
scope and the buildings the hub's devices name there, the ledger's categories and grades) and
what it makes of a submitted form: a :class:`hub.ledger.Hazard` for
:meth:`hub.ledger.LedgerProjection.register`, or every problem with it, each naming its field.
The ledger checks the entry again when it registers it (the one authority on what it takes)."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from hub.console._untrusted import parse_day, parse_place, place_value
from hub.ledger import GRADES, Hazard

#: Field -> the most characters it takes.
LIMITS = {"description": 4000, "location": 200, "responsible": 200, "plan_measures": 4000, "plan_funds": 200,
          "plan_people": 400, "plan_contingency": 4000}
#: The 五落实 of a 重大 entry: measures, funds, people, time limit, contingency.
PLAN_TEXTS = ("plan_measures", "plan_funds", "plan_people", "plan_contingency")
#: A deadline further ahead than this is a typing mistake.
LONGEST_DAYS = 5 * 366


@dataclasses.dataclass(frozen=True)
class Place:
    value: str
    school: str
    building: str
    label: str


def places(schools: list[tuple[str, str]], buildings: Mapping[str, set[str]]) -> list[Place]:
    """Each school of the scope (the whole school), then each of its buildings."""
    offered = []
    for school, name in schools:
        offered.append(Place(place_value(school), school, "", name))
        for building in sorted(buildings.get(school, ())):
            offered.append(Place(place_value(school, building), school, building, f"{name} / {building}"))
    return offered


@dataclasses.dataclass
class Filled:
    """A submitted form: the entry, or its problems as (field, translation key, values)."""

    hazard: Hazard | None
    problems: list[tuple[str, str, dict]]


def read_form(get: Callable[[str, int], str], offered: list[Place], regions: Mapping[str, str],
              categories: tuple[str, ...], end_of_day: Callable, today, last_day) -> Filled:
    """``get(name, limit)``: a form field cut at ``limit``; ``regions``: school -> region code;
    ``end_of_day(date)``: its last second in the hub's zone; ``today`` / ``last_day``: the first
    and last date a deadline may be."""
    problems: list[tuple[str, str, dict]] = []
    texts = {}
    for name, limit in LIMITS.items():
        text = get(name, limit + 1).strip()
        if len(text) > limit:
            problems.append((name, "problem_too_long", {"limit": limit}))
        texts[name] = text[:limit]
    chosen = parse_place(get("place", 400))
    place = next((p for p in offered if chosen and (p.school, p.building) == chosen), None)
    if place is None:
        problems.append(("place", "problem_place", {}))
    category = get("category", 40)
    if category not in categories:
        problems.append(("category", "problem_category", {}))
    grade = get("grade", 12)
    if grade not in GRADES:
        problems.append(("grade", "problem_grade", {}))
    if not texts["description"]:
        problems.append(("description", "problem_required", {}))

    def deadline(name: str, required: bool) -> float:
        text = get(name, 20).strip()
        if not text:
            if required:
                problems.append((name, "problem_required_major", {}))
            return 0.0
        day = parse_day(text)
        if day is None:
            problems.append((name, "problem_date", {}))
        elif day < today:
            problems.append((name, "problem_past", {"today": today.isoformat()}))
        elif day > last_day:
            problems.append((name, "problem_far", {"last": last_day.isoformat()}))
        else:
            return end_of_day(day)
        return 0.0

    due = deadline("deadline", False)
    major = grade == "major"
    plan = {name: texts[name] if major else "" for name in PLAN_TEXTS}
    plan_deadline = 0.0
    if major:  # (problems in the form's order)
        for name in (*PLAN_TEXTS[:3], "plan_deadline", PLAN_TEXTS[3]):
            if name == "plan_deadline":
                plan_deadline = deadline(name, True)
            elif not plan[name]:
                problems.append((name, "problem_required_major", {}))
    if problems:
        return Filled(None, problems)
    location = " ".join(part for part in (place.building, texts["location"]) if part)
    hazard = Hazard(id="", grade=grade, category=category, region=regions.get(place.school, ""), school=place.school,
                    description=texts["description"], location=location, source="inspection",
                    responsible=texts["responsible"], deadline=due, plan_deadline=plan_deadline, **plan)
    return Filled(hazard, [])


__all__ = ["LIMITS", "LONGEST_DAYS", "PLAN_TEXTS", "Filled", "Place", "places", "read_form"]
