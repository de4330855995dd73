"""Building and reading `campushub.v1.Event` messages.

The protobuf classes are the event model: adapters build them with :func:`new_event` and the
pipeline, journal and gRPC server pass them on without conversion.
"""
from __future__ import annotations

import datetime as _dt
import random
import time
from collections.abc import Iterable, Mapping

from campushub.v1.device_pb2 import Device, DeviceState
from campushub.v1.event_pb2 import Category, Event, EventBatch, MediaRef, RawPayload, Severity, Site, State

__all__ = [
    "Category", "Device", "DeviceState", "Event", "EventBatch", "MediaRef", "RawPayload",
    "Severity", "Site", "State", "new_event", "category_name", "severity_name", "state_name",
    "parse_category", "parse_severity", "parse_state", "set_timestamp", "timestamp_seconds",
]


def set_timestamp(target, when: float | _dt.datetime | None) -> None:
    """Set a google.protobuf.Timestamp from epoch seconds or an aware datetime (None: now)."""
    if when is None:
        when = time.time()
    elif isinstance(when, _dt.datetime):
        if when.tzinfo is None:
            raise ValueError("naive datetime: device times must carry a timezone (use UTC)")
        when = when.timestamp()
    seconds = int(when // 1)
    target.seconds = seconds
    target.nanos = int(round((when - seconds) * 1e9)) % 1_000_000_000


def timestamp_seconds(ts) -> float:
    return ts.seconds + ts.nanos / 1e9


def new_event(
    *,
    device_id: str,
    type: str,
    category: int,
    severity: int,
    state: int = State.STATE_MOMENTARY,
    occurred_at: float | _dt.datetime | None = None,
    attributes: Mapping[str, object] | None = None,
    raw_protocol: str = "",
    raw_data: bytes = b"",
    raw_text: str = "",
    media: Iterable[tuple[str, str, str]] = (),
) -> Event:
    """Build an event as an adapter saw it; the hub fills id, times, site and sequence.

    ``type`` is the dotted taxonomy name (``fire.alarm``); ``attributes`` values are turned into
    strings; ``media`` holds ``(kind, uri, mime_type)`` tuples.
    """
    if not type or type.strip() != type or "." not in type:
        raise ValueError(f"event type must be dotted like 'fire.alarm', got {type!r}")
    event = Event(
        source_device_id=device_id,
        type=type,
        category=category,
        severity=severity,
        state=state,
    )
    if occurred_at is not None:
        set_timestamp(event.occurred_at, occurred_at)
    if attributes:
        for key, value in attributes.items():
            event.attributes[key] = value if isinstance(value, str) else str(value)
    if raw_protocol or raw_data or raw_text:
        event.raw.protocol = raw_protocol
        event.raw.data = raw_data
        event.raw.text = raw_text
    for kind, uri, mime in media:
        event.media.add(kind=kind, uri=uri, mime_type=mime)
    return event


_random_bits = random.Random(random.SystemRandom().getrandbits(128)).getrandbits


def new_event_id() -> str:
    """A random (version 4) UUID string. Drawn from a PRNG seeded by the OS once, not from
    os.urandom per event: ids must be unique, not unguessable, and this is on the hot path."""
    h = "%032x" % _random_bits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def stamp_received(event: Event, now: float | None = None) -> None:
    """Give a new event its hub identity: id and received time (occurred_at defaults to it)."""
    if not event.id:
        event.id = new_event_id()
    now = time.time() if now is None else now
    received = event.received_at
    seconds = int(now)
    received.seconds = seconds
    received.nanos = int((now - seconds) * 1e9)
    if not event.HasField("occurred_at"):
        event.occurred_at.CopyFrom(received)


def _short(enum, prefix: str):
    names = {value: name[len(prefix):].lower() for name, value in enum.items() if value}
    values = {short: value for value, short in names.items()}
    return names, values


_CATEGORY_NAMES, _CATEGORY_VALUES = _short(Category, "CATEGORY_")
_SEVERITY_NAMES, _SEVERITY_VALUES = _short(Severity, "SEVERITY_")
_STATE_NAMES, _STATE_VALUES = _short(State, "STATE_")

CATEGORY_CHOICES = tuple(_CATEGORY_VALUES)
SEVERITY_CHOICES = tuple(_SEVERITY_VALUES)


def category_name(value: int) -> str:
    return _CATEGORY_NAMES.get(value, "unspecified")


def severity_name(value: int) -> str:
    return _SEVERITY_NAMES.get(value, "unspecified")


def state_name(value: int) -> str:
    return _STATE_NAMES.get(value, "unspecified")


def _parse(values: dict[str, int], kind: str, text: str) -> int:
    try:
        return values[text.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown {kind} {text!r}; expected one of: {', '.join(values)}") from None


def parse_category(text: str) -> int:
    return _parse(_CATEGORY_VALUES, "category", text)


def parse_severity(text: str) -> int:
    return _parse(_SEVERITY_VALUES, "severity", text)


def parse_state(text: str) -> int:
    return _parse(_STATE_VALUES, "state", text)
