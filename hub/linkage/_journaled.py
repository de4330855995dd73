"""What linkage journals: an event of category LINKAGE for each action's start and its result.

Types: ``linkage.action.started``, ``linkage.action.done``, ``linkage.action.failed``,
``linkage.action.timed_out`` (and ``linkage.action.skipped`` for a PTZ lease lost to a higher
priority). Attributes: ``rule``, ``rule_version``, ``run`` (``<rule>@<version>#<trigger seq>``),
``action`` (snapshot, ptz_preset, ptz_home, relay, relay_off, panel, notify, raise), ``action_id``
(the idempotency key: run/index/target), ``target``, ``trigger_sequence``, ``alarm_id`` (the alarm
the trigger is or makes), ``reason`` (why it failed) and the action's own details. A snapshot's
done event carries the stored picture as a MediaRef (``media:<sha256>``). The result of a notify
resumed after a restart has ``resumed``: the sequence of the start (by the earlier run of the hub)
it finishes.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from hub.events import Event, MediaRef, Severity, State, new_event

__all__ = ["LINKAGE_CATEGORY", "RESULTS", "action_event", "attached_media"]

LINKAGE_CATEGORY = 12  # campushub.v1.Category.CATEGORY_LINKAGE
RESULTS = ("done", "failed", "timed_out", "skipped")
_SEVERITY = {"started": Severity.SEVERITY_INFO, "done": Severity.SEVERITY_INFO,
             "failed": Severity.SEVERITY_WARNING, "timed_out": Severity.SEVERITY_WARNING,
             "skipped": Severity.SEVERITY_INFO}


def action_event(phase: str, device: str, attributes: Mapping[str, object],
                 media: Iterable[tuple[str, str, str]] = ()) -> Event:
    """The event of an action's ``phase`` (started or one of RESULTS) on ``device``."""
    return new_event(device_id=device, type=f"linkage.action.{phase}", category=LINKAGE_CATEGORY,
                     severity=_SEVERITY[phase], state=State.STATE_MOMENTARY,
                     attributes={key: value for key, value in attributes.items() if value not in (None, "")},
                     media=media)


def attached_media(event: Event) -> tuple[str, list[MediaRef]]:
    """(alarm id, media) a linkage event attaches to an alarm; ("", []) when it attaches none."""
    if event.type != "linkage.action.done" or not event.media:
        return "", []
    return event.attributes.get("alarm_id", ""), list(event.media)
