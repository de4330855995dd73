"""ONVIF topics to the campus-hub taxonomy (data), and the per-camera state tracker (sans-IO).

:data:`TOPIC_RULES` is the reviewed mapping table. :class:`EventStateTracker` turns notifications
into events with raised/cleared state: ``Initialized`` messages (sent on every (re)subscription)
only record state and never raise an alarm; they clear one that ended while we were not listening.
Unknown topics become generic ``video.event`` momentary events, never dropped.
"""
from __future__ import annotations

import dataclasses

from adapters.onvif.events import Notification
from hub.events import Category, Severity, State

__all__ = ["TopicRule", "TOPIC_RULES", "GENERIC_RULE", "MappedEvent", "EventStateTracker", "rule_for", "parse_flag"]


@dataclasses.dataclass(frozen=True)
class TopicRule:
    #: Topic as ``tns1:A/B``; a trailing ``/*`` matches every sub-topic.
    topic: str
    type: str
    category: int
    severity: int
    #: Names of the Data item carrying the boolean state, first match wins; empty = momentary.
    state_items: tuple[str, ...] = ()


TOPIC_RULES: tuple[TopicRule, ...] = (
    TopicRule("tns1:VideoSource/MotionAlarm", "video.motion", Category.CATEGORY_VIDEO, Severity.SEVERITY_WARNING, ("State",)),
    TopicRule("tns1:RuleEngine/CellMotionDetector/Motion", "video.motion", Category.CATEGORY_VIDEO, Severity.SEVERITY_WARNING, ("IsMotion",)),
    TopicRule("tns1:RuleEngine/MotionRegionDetector/Motion", "video.motion", Category.CATEGORY_VIDEO, Severity.SEVERITY_WARNING, ("State",)),
    TopicRule("tns1:VideoSource/GlobalSceneChange/*", "video.tamper", Category.CATEGORY_VIDEO, Severity.SEVERITY_MAJOR, ("State",)),
    TopicRule("tns1:RuleEngine/TamperDetector/Tamper", "video.tamper", Category.CATEGORY_VIDEO, Severity.SEVERITY_MAJOR, ("IsTamper", "State")),
    TopicRule("tns1:VideoSource/SignalLoss", "video.signal_loss", Category.CATEGORY_VIDEO, Severity.SEVERITY_MAJOR, ("State",)),
    # A camera's alarm input is wired to a door contact, PIR or panic button: an intrusion input.
    TopicRule("tns1:Device/Trigger/DigitalInput", "video.alarm_input", Category.CATEGORY_INTRUSION, Severity.SEVERITY_MAJOR, ("LogicalState", "State")),
    TopicRule("tns1:Device/Trigger/Relay", "video.relay", Category.CATEGORY_DEVICE, Severity.SEVERITY_INFO, ("LogicalState", "State")),
)
GENERIC_RULE = TopicRule("*", "video.event", Category.CATEGORY_VIDEO, Severity.SEVERITY_INFO)

_TRUE = frozenset({"true", "1", "active", "on"})
_FALSE = frozenset({"false", "0", "inactive", "off"})


def parse_flag(value: str | None) -> bool | None:
    """ONVIF boolean-ish item values (``true``, ``1``, ``active``...); None when not boolean."""
    if value is None:
        return None
    text = value.strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


def rule_for(topic: str) -> TopicRule:
    for rule in TOPIC_RULES:
        if rule.topic.endswith("/*"):
            if topic.startswith(rule.topic[:-1]):
                return rule
        elif topic == rule.topic:
            return rule
    return GENERIC_RULE


@dataclasses.dataclass(frozen=True)
class MappedEvent:
    type: str
    category: int
    severity: int
    state: int
    utc_time: float  # camera clock
    attributes: dict[str, str]


def _attributes(notification: Notification) -> dict[str, str]:
    attributes = {"topic": notification.topic, "operation": notification.operation or "none"}
    for key, value in notification.source:
        attributes[f"source.{key}"] = value
    for key, value in notification.data:
        attributes[f"data.{key}"] = value
    return attributes


class EventStateTracker:
    """Remembers the last known state per (topic, source) of one camera across subscriptions."""

    def __init__(self) -> None:
        self._active: dict[tuple[str, str], bool] = {}
        #: Conditions we reported raised: only those get a CLEARED (never a clear out of nowhere).
        self._raised: set[tuple[str, str]] = set()

    def active(self, topic: str, source_key: str = "") -> bool | None:
        return self._active.get((topic, source_key))

    def feed(self, notification: Notification) -> MappedEvent | None:
        """The event to emit for ``notification``, or None when it changes nothing."""
        rule = rule_for(notification.topic)
        flag = next(
            (f for f in (parse_flag(notification.data_value(name)) for name in rule.state_items) if f is not None),
            None,
        )
        operation = notification.operation
        if flag is None:
            # Stateless (or unreadable state): only live changes are worth an event.
            if operation in ("Initialized", "Deleted"):
                return None
            return self._event(rule, State.STATE_MOMENTARY, notification)
        key = (notification.topic, notification.source_key)
        previous = self._active.get(key)
        if operation == "Deleted" or not flag:
            if operation == "Deleted":
                self._active.pop(key, None)
            else:
                self._active[key] = False
            if key in self._raised:
                self._raised.discard(key)
                return self._event(rule, State.STATE_CLEARED, notification)
            return None
        self._active[key] = True
        if previous or operation == "Initialized":
            return None
        self._raised.add(key)
        return self._event(rule, State.STATE_RAISED, notification)

    @staticmethod
    def _event(rule: TopicRule, state: int, notification: Notification) -> MappedEvent:
        return MappedEvent(
            type=rule.type, category=rule.category, severity=rule.severity, state=state,
            utc_time=notification.utc_time, attributes=_attributes(notification),
        )
