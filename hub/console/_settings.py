"""What a console is built from (``hub.config`` makes it from the ``console:`` section)."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from hub.access import Scope


@dataclasses.dataclass(frozen=True)
class Operator:
    """A person who logs in: a role (hub.access.ROLES, not platform) and a scope like a subscriber's."""

    id: str
    name: str
    password_hash: str = dataclasses.field(repr=False)
    role: str
    scope: Scope

    @property
    def actor(self) -> str:
        """How the journal records what they do."""
        return f"operator:{self.id}"

    @property
    def desk_level(self) -> int:
        """The escalation level of their desk (0 school, 1 county, 2 city, 3 province): the widest
        region prefix of their scope, so "escalated to me" needs no separate setting."""
        if self.scope.all_regions:
            return 3
        widest = min((len(prefix) for prefix in self.scope.region_prefixes), default=8)
        return {2: 3, 4: 2, 6: 1}.get(widest, 0)


@dataclasses.dataclass(frozen=True)
class Marker:
    device: str
    x: float
    y: float


@dataclasses.dataclass(frozen=True)
class FloorPlan:
    school_id: str
    building: str
    name: str
    image: str
    width: int
    height: int
    markers: tuple[Marker, ...] = ()


@dataclasses.dataclass(frozen=True)
class ConsoleSettings:
    address: str = "127.0.0.1:8080"
    time_zone: str = "Asia/Shanghai"
    language: str = "zh-CN"
    session_lifetime: float = 12 * 3600
    secure_cookies: bool = False
    login_attempts: int = 5
    login_window: float = 300.0
    max_body: int = 65536
    operators: Sequence[Operator] = ()
    #: school id -> (region code, name)
    sites: Mapping[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    floor_plans: Sequence[FloorPlan] = ()
