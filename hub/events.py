"""Building and reading `campushub.v1.Event` messages.

The protobuf classes are the event model: adapters build them with :func:`new_event` and the
pipeline, journal and gRPC server pass them on without conversion.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import random
import time
from collections.abc import Iterable, Mapping

from campushub.v1 import device_pb2, event_pb2
from campushub.v1.device_pb2 import Device
from campushub.v1.event_pb2 import Event, EventBatch, MediaRef, RawPayload, Site


class _Enum:
    """A protobuf enum whose members are plain attributes.

    protobuf's enum wrapper resolves ``Category.CATEGORY_FIRE`` through a Python ``__getattr__``
    that costs over a microsecond; adapters name members on every event they build. The wrapper's
    own methods (``Name``, ``Value``, ``items``...) are still there.
    """

    def __init__(self, wrapper) -> None:
        self.__dict__.update(wrapper.items())
        self._wrapper = wrapper

    def __getattr__(self, name: str):
        return getattr(self._wrapper, name)


Category = _Enum(event_pb2.Category)
Severity = _Enum(event_pb2.Severity)
State = _Enum(event_pb2.State)
DeviceState = _Enum(device_pb2.DeviceState)

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
    state: int = event_pb2.STATE_MOMENTARY,
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
    event = Event(source_device_id=device_id, type=type, category=category, severity=severity, state=state)
    if occurred_at is not None:
        set_timestamp(event.occurred_at, occurred_at)
    if attributes:
        target = event.attributes  # (its update() is MutableMapping's pure-Python one: slower)
        for key, value in attributes.items():
            target[key] = value if value.__class__ is str else str(value)
    if raw_protocol or raw_data or raw_text:
        raw = event.raw
        raw.protocol = raw_protocol
        if raw_data:
            raw.data = raw_data
        if raw_text:
            raw.text = raw_text
    for kind, uri, mime in media:
        event.media.add(kind=kind, uri=uri, mime_type=mime)
    return event


def _new_id_prefix() -> str:
    h = "%020x" % random.SystemRandom().getrandbits(80)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-"


_id_prefix = _new_id_prefix()
_id_counter = itertools.count(1)


def new_event_id() -> str:
    """A UUID-shaped id (version 4 layout): 74 random bits drawn once per process, then a counter.

    Ids must be unique, not unguessable, and this is on every event's path: a counter behind a
    per-process random prefix costs a fifth of drawing 122 random bits per event."""
    return "%s%012x" % (_id_prefix, next(_id_counter))


def stamp_received(event: Event, now: float | None = None) -> None:
    """Give a new event its hub identity: id and received time (occurred_at defaults to it)."""
    if not event.id:
        event.id = new_event_id()
    if now is None:
        now = time.time()
    seconds = int(now)
    nanos = int((now - seconds) * 1e9)
    received = event.received_at
    received.seconds = seconds
    received.nanos = nanos
    occurred = event.occurred_at
    if not occurred.seconds:  # unset (cheaper to ask than HasField)
        occurred.seconds = seconds
        occurred.nanos = nanos


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
