"""A journaled event as it is stored, served and cached: columns plus the framed event.

The frame is the event encoded as field 1 of `EventBatch` (tag, length, bytes), so a batch for the
wire is a concatenation of frames shared by every subscriber, with no re-serialization.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from hub.events import Event, Site
from hub.journal._schema import COLUMNS, FILTER_COLUMNS


def varint(value: int) -> bytes:
    """An unsigned integer as a protobuf varint (straight-line up to three bytes: sequences)."""
    if value < 0x80:
        return _ONE_BYTE[value]
    if value < 0x4000:
        return bytes((value & 0x7F | 0x80, value >> 7))
    if value < 0x200000:
        return bytes((value & 0x7F | 0x80, value >> 7 & 0x7F | 0x80, value >> 14))
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


_ONE_BYTE = [bytes((value,)) for value in range(0x80)]


_EntryRow = NamedTuple("_EntryRow", [(column.field, column.python_type) for column in COLUMNS])


class Entry(_EntryRow):
    """A journaled event: its filterable columns plus the serialized `Event`, exactly as the row is
    stored (the fields are hub.journal's COLUMNS).

    ``framed`` is the event already encoded as field 1 of `EventBatch` (tag, length, bytes), so a
    batch for the wire is a concatenation, shared by every subscriber, with no re-serialization.
    The journal stores it framed too, so a row read back is an entry without copying.
    (A NamedTuple: one is made per event on the hot path, and a frozen dataclass costs several
    times more to build.)
    """

    __slots__ = ()

    def event(self) -> Event:
        event = Event()
        event.MergeFromString(_unframe(self.framed))
        return event

    def serialized(self) -> bytes:
        """The encoded ``Event`` (what ``event()`` decodes), without decoding it."""
        return _unframe(self.framed)


class NewEntry(NamedTuple):
    """An event on its way into the journal: the filter columns, then the event serialized
    without its sequence (which the journal assigns when it commits) and the encoded fields that
    follow it (see Pipeline._place). The event is serialized when the pipeline has enriched it,
    while it is still in the CPU's caches: serialized at commit time, hundreds of events later, it
    cost twice as much."""

    received_at: float
    region: str
    school: str
    category: int
    severity: int
    type: str
    device: str
    serialized: bytes
    appended: bytes


#: How many of NewEntry's fields are filter columns (they come first, in the same order).
_FILTER_FIELDS = len(FILTER_COLUMNS)
assert NewEntry._fields[:_FILTER_FIELDS] == tuple(column.field for column in FILTER_COLUMNS)


def new_entry_for_event(event: Event) -> NewEntry:
    """The journal's input for an event whose hub fields (id, received time, site) are set."""
    site = event.site
    received = event.received_at
    return NewEntry(received.seconds + received.nanos / 1e9, site.region_code, site.school_id, event.category,
                    event.severity, event.type, event.source_device_id, event.SerializeToString(), b"")


def sequenced(first_sequence: int, pending: Sequence[NewEntry]) -> list[Entry]:
    """The entries journaled as ``first_sequence`` onwards.

    Each event's sequence field is appended to its serialized form: protobuf reads a field that
    appears later as set, so this is the event with its sequence, without serializing it again."""
    # tuple.__new__, not Entry._make (a Python-level call and a length check per event): the
    # fields come from a NewEntry, whose constructor checked them, so the row's shape is fixed.
    tag, join, filters, make = _SEQUENCE_TAG, b"".join, _FILTER_FIELDS, tuple.__new__
    if len(_SHARED_TEXT) > _SHARED_TEXT_LIMIT:
        _SHARED_TEXT.clear()
    share = _SHARED_TEXT.setdefault
    entries: list[Entry] = []
    add = entries.append
    for seq, new in enumerate(pending, first_sequence):
        serialized, appended, sequence = new[filters], new[filters + 1], varint(seq)
        prefix = _frame_prefix(len(serialized) + len(appended) + 1 + len(sequence))
        received_at, region, school, category, severity, type_, device = new[:filters]
        add(make(Entry, (seq, received_at, share(region, region), share(school, school), category, severity,
                         share(type_, type_), share(device, device),
                         join((prefix, serialized, appended, tag, sequence)))))
    return entries


#: One str object per distinct text column value (places, types, device ids): the entries held in
#: the tail cache share them instead of each holding its own copies (protobuf makes a new str at
#: every field read), ~40% of an entry's memory. Cleared when it grows past the limit, so text an
#: attacker varies cannot grow it without bound.
_SHARED_TEXT: dict[str, str] = {}
_SHARED_TEXT_LIMIT = 1 << 16


def site_field(site: Site) -> bytes:
    """``site`` encoded as Event's site field, to append to an event serialized without one."""
    serialized = site.SerializeToString()
    return _SITE_TAG + varint(len(serialized)) + serialized


def frame(serialized: bytes) -> bytes:
    """An encoded event as field 1 of `EventBatch`."""
    return _frame_prefix(len(serialized)) + serialized


def _frame_prefix(size: int) -> bytes:
    """Tag and length of a framed event of ``size`` bytes."""
    return _FRAME_PREFIXES[size] if size < _PRECOMPUTED_FRAME_SIZES else b"\x0a" + varint(size)


def _unframe(framed: bytes) -> bytes:
    # Skip the tag byte and the length varint.
    i = 1
    while framed[i] & 0x80:
        i += 1
    return framed[i + 1:]


#: frame prefixes (tag and length) of events shorter than 4 KiB, precomputed.
_PRECOMPUTED_FRAME_SIZES = 4096
_FRAME_PREFIXES = [b"\x0a" + varint(size) for size in range(_PRECOMPUTED_FRAME_SIZES)]
#: Event.sequence's tag (a varint field) and Event.site's (length-delimited).
_SEQUENCE_TAG = varint(Event.DESCRIPTOR.fields_by_name["sequence"].number << 3)
_SITE_TAG = varint(Event.DESCRIPTOR.fields_by_name["site"].number << 3 | 2)
