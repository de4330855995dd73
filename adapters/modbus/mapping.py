"""Build campus-hub events from tracker transitions (sans-IO: the caller passes the time)."""
from __future__ import annotations

from adapters.modbus.profile import Profile
from adapters.modbus.tracker import Transition
from hub.events import Event, State, new_event, parse_category, parse_severity

__all__ = ["transition_event"]

RAW_PROTOCOL = "modbus"


def transition_event(device_id: str, profile: Profile, transition: Transition, occurred_at: float) -> Event:
    """The raised/cleared event for one transition, with where it came from as attributes."""
    instance, decoded = transition.instance, transition.decoded
    condition = decoded.condition
    attributes: dict[str, object] = {
        "profile": profile.profile,
        "signal": instance.signal.name,
        "table": instance.table.value,
        "register": instance.address,
        **dict(instance.labels),
        **dict(decoded.detail),
    }
    if condition.text:
        attributes["text"] = condition.text
    if transition.scaled is not None:
        unit = instance.signal.value.unit if instance.signal.value else ""
        attributes["value"] = f"{transition.scaled:g}{unit}"
    return new_event(
        device_id=device_id,
        type=condition.event,
        category=parse_category(condition.category),
        severity=parse_severity(condition.severity),
        state=State.STATE_RAISED if transition.raised else State.STATE_CLEARED,
        occurred_at=occurred_at,
        attributes=attributes,
        raw_protocol=RAW_PROTOCOL,
        raw_text=f"{instance.table.value} {instance.address} = 0x{transition.raw:04X}",
    )
