"""An alarm's state: OPC UA Part 9 flags plus a revision, and the ISA-18.2 state they name.

An alarm is one condition of one device: (device, type, zone). Its flags are independent two-state
variables as OPC UA Part 9 keeps them; the ISA-18.2-2016 state is derived from them, never stored,
so the two can't disagree.
"""
from __future__ import annotations

import dataclasses
import enum


class Shelving(enum.Enum):
    """OPC UA ShelvedStateMachine: unshelved, timed shelved, one-shot shelved."""

    UNSHELVED = "unshelved"
    TIMED = "timed"
    ONE_SHOT = "one_shot"


class Disposition(enum.Enum):
    """What an alarm turned out to be, given when it is closed."""

    REAL = "real"
    FALSE = "false"
    TEST = "test"
    TECHNICAL = "technical"


class IsaState(enum.Enum):
    """ISA-18.2-2016 / IEC 62682 alarm states."""

    NORMAL = "normal"
    UNACKNOWLEDGED = "unacknowledged"
    ACKNOWLEDGED = "acknowledged"
    RETURNED_UNACKNOWLEDGED = "returned_unacknowledged"
    LATCHED_UNACKNOWLEDGED = "latched_unacknowledged"
    LATCHED_ACKNOWLEDGED = "latched_acknowledged"
    SHELVED = "shelved"
    SUPPRESSED_BY_DESIGN = "suppressed_by_design"
    OUT_OF_SERVICE = "out_of_service"


def alarm_id(device: str, type_: str, zone: str = "") -> str:
    """The id of the alarm for (device, type, zone): readable, and the same on every rebuild."""
    return f"{device}/{type_}/{zone}" if zone else f"{device}/{type_}"


@dataclasses.dataclass(frozen=True)
class Alarm:
    """One alarm as the table holds it. Times are epoch seconds (0.0: never)."""

    id: str
    device: str
    type: str
    zone: str = ""
    region: str = ""
    school: str = ""
    #: The device's building (from its site), for settings overridden per building.
    building: str = ""
    #: The category of the device events that raise it (fire, panic ...).
    category: int = 0
    class_name: str = ""
    priority: int = 4
    #: The class latches: the alarm stays active after its condition ends until acknowledged.
    latching: bool = False
    # --- OPC UA Part 9 flags ---
    active: bool = False
    acknowledged: bool = True
    #: Held active by latching although its condition has ended.
    latched: bool = False
    shelving: Shelving = Shelving.UNSHELVED
    shelved_until: float = 0.0
    suppressed: bool = False
    out_of_service: bool = False
    # --- lifecycle ---
    #: Grows by one with every change of the alarm.
    revision: int = 0
    #: The device reports the condition now (an active alarm may be latched without it).
    condition: bool = False
    #: When the condition began, while it waits out its class's on-delay (0.0: not waiting).
    pending_since: float = 0.0
    #: 1 for the first activation; a new activation after normal (and past the reactivation
    #: threshold) starts the next occurrence.
    occurrence: int = 0
    #: Re-raises within the reactivation threshold, counted in the same occurrence.
    reactivations: int = 0
    assignee: str = ""
    escalation_level: int = 0
    closed: bool = False
    disposition: Disposition | None = None
    raised_at: float = 0.0
    cleared_at: float = 0.0
    acknowledged_at: float = 0.0
    changed_at: float = 0.0
    last_actor: str = ""
    last_comment: str = ""

    @property
    def state(self) -> IsaState:
        return isa_state(self)

    @property
    def needs_action(self) -> bool:
        """Someone must act: unacknowledged, and not closed, shelved, suppressed or out of service."""
        return (not self.acknowledged and not self.closed and self.shelving is Shelving.UNSHELVED
                and not self.suppressed and not self.out_of_service)

    @property
    def retained(self) -> bool:
        """Of interest to an operator (OPC UA Retain): active, unacknowledged, shelved or out of service."""
        return (self.active or not self.acknowledged or self.shelving is not Shelving.UNSHELVED
                or self.out_of_service)


def isa_state(alarm: Alarm) -> IsaState:
    """The ISA-18.2 state the flags name. Out of service, suppression and shelving hide the alarm
    from annunciation whatever its process state, in that order of precedence."""
    if alarm.out_of_service:
        return IsaState.OUT_OF_SERVICE
    if alarm.suppressed:
        return IsaState.SUPPRESSED_BY_DESIGN
    if alarm.shelving is not Shelving.UNSHELVED:
        return IsaState.SHELVED
    return _PROCESS_STATES[alarm.active, alarm.acknowledged, alarm.latched]


#: (active, acknowledged, latched) -> state. Not active and latched cannot occur; it reads as its
#: unlatched twin so the derivation is total.
_PROCESS_STATES = {
    (False, True, False): IsaState.NORMAL,
    (False, True, True): IsaState.NORMAL,
    (False, False, False): IsaState.RETURNED_UNACKNOWLEDGED,
    (False, False, True): IsaState.RETURNED_UNACKNOWLEDGED,
    (True, False, False): IsaState.UNACKNOWLEDGED,
    (True, True, False): IsaState.ACKNOWLEDGED,
    (True, False, True): IsaState.LATCHED_UNACKNOWLEDGED,
    (True, True, True): IsaState.LATCHED_ACKNOWLEDGED,
}
