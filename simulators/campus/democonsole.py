"""The demo's operator console: one duty-desk login for the simulated schools' county (a fresh
password each run, printed), and a floor plan of the first school's first building with its
devices laid out on it."""
from __future__ import annotations

import dataclasses
import secrets

from hub.access import Scope

DEMO_OPERATOR = "duty"
PLAN_WIDTH, PLAN_HEIGHT = 1000, 600


@dataclasses.dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str


def demo_console(plan, address: str):
    """(ConsoleSettings, DemoLogin) for a loaded scenario ``plan``."""
    from console import STATIC
    from hub.console import ConsoleSettings, FloorPlan, Marker, Operator, hash_password

    password = secrets.token_urlsafe(9)
    regions = tuple(sorted({school.region_code for school in plan.schools}))
    operator = Operator(DEMO_OPERATOR, "值班长 (demo)", hash_password(password), "supervisor",
                        Scope(region_prefixes=regions))
    sites = {school.school_id: (school.region_code, school.name) for school in plan.schools}
    plans = []
    first = plan.schools[0].school_id
    buildings = [d.building for d in plan.devices.values() if d.school_id == first and d.building]
    if buildings:
        building = buildings[0]
        devices = [d.id for d in plan.devices.values() if d.school_id == first and d.building == building]
        markers = tuple(Marker(device, 120 + (i % 6) * 150, 150 + (i // 6 % 3) * 160)
                        for i, device in enumerate(devices[:18]))
        plans.append(FloorPlan(first, building, building, str(STATIC / "demo" / "floor-plan-a.svg"),
                               PLAN_WIDTH, PLAN_HEIGHT, markers))
    settings = ConsoleSettings(address=address, operators=[operator], sites=sites, floor_plans=plans)
    return settings, DemoLogin(DEMO_OPERATOR, password)
