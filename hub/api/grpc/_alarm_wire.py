"""WatchAlarms' wire bytes: each alarm encoded once per change, responses concatenated from them.

Measured (bench/bench_alarms.py, 100,000 alarms, hub and client in one process): building and
serializing an ``Alarm`` message costs about 6-9 µs, and a gRPC stream message about 100 µs
(server and client), so a refresh of one alarm per message took 14-20 s. The refresh now sends
``alarm_batch`` messages (WatchAlarmsRequest.refresh_batch_size) and takes each alarm's bytes from
:class:`EncodedAlarms`, which encodes an alarm only when it changed since it was last encoded (its
bytes are ~130 B: ~20 MB for 100,000 alarms, where as many cached ``Alarm`` messages held 160 MB).
A live change is encoded once for all the watchers that see it. The rest of the service sends and
receives ordinary messages; only WatchAlarms' handler passes these bytes through unserialized.

Encoded only on demand, the first refresh after a start paid for encoding every alarm (5.3 s for
100,000 under load, later ones 0.5-0.85 s). So :func:`encode_in_chunks` encodes them in the
background once the table is rebuilt, a chunk at a time between which the loop runs other work;
a refresh that comes first encodes what is still missing itself (the same cache, the same bytes).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator

from hub.alarms import Alarm
from hub.journal import varint

#: Alarms encoded in the background between two turns of the loop (~8 µs each: a few ms a chunk).
ENCODE_CHUNK = 256

#: A batch is cut at this many bytes, whatever the batch size asked for: far below gRPC's default
#: 4 MiB limit on a received message, however long the alarms' comments are.
MAX_BATCH_BYTES = 1 << 20

# WatchAlarmsResponse's fields: refresh_start 1, alarm 2, refresh_end 3, table_revision 4 (varint),
# change 5, alarm_batch 6; AlarmBatch's alarms 1. (tests/alarms/test_alarm_wire.py holds these
# bytes against the generated classes.)
_REFRESH_START, _ALARM, _REFRESH_END, _REVISION, _CHANGE, _BATCH = b"\x0a\x00", b"\x12", b"\x1a\x00", b"\x20", b"\x2a", b"\x32"
_BATCH_ALARM = b"\x0a"


def _revision(table_revision: int) -> bytes:
    return _REVISION + varint(table_revision) if table_revision else b""


def refresh_start(table_revision: int) -> bytes:
    return _REFRESH_START + _revision(table_revision)


def refresh_end(table_revision: int) -> bytes:
    return _REFRESH_END + _revision(table_revision)


def alarm_response(encoded: bytes, table_revision: int, change: str = "") -> bytes:
    """WatchAlarmsResponse{alarm, table_revision, change} from the alarm's encoded bytes."""
    data = _ALARM + varint(len(encoded)) + encoded + _revision(table_revision)
    if change:
        text = change.encode()
        data += _CHANGE + varint(len(text)) + text
    return data


def batch_responses(encoded: Iterable[bytes], table_revision: int, size: int) -> Iterator[bytes]:
    """WatchAlarmsResponse{alarm_batch} messages of up to ``size`` alarms (fewer when they would
    pass MAX_BATCH_BYTES), each with ``table_revision``."""
    parts: list[bytes] = []
    length = 0
    for data in encoded:
        part = _BATCH_ALARM + varint(len(data)) + data
        if parts and (len(parts) == size or length + len(part) > MAX_BATCH_BYTES):
            yield _batch(parts, length, table_revision)
            parts, length = [], 0
        parts.append(part)
        length += len(part)
    if parts:
        yield _batch(parts, length, table_revision)


def _batch(parts: list[bytes], length: int, table_revision: int) -> bytes:
    return _BATCH + varint(length) + b"".join(parts) + _revision(table_revision)


class EncodedAlarms:
    """The encoded ``Alarm`` message of each alarm as a caller sees it, kept until the alarm
    changes. ``build(alarm, caller_level)`` makes the message; what else it depends on (the
    class's procedure, the media attached) is named by the ``extra`` given with each lookup."""

    def __init__(self, build: Callable[[Alarm, int], object], escalated_to: Callable[[Alarm, int], bool]) -> None:
        self._build = build
        self._escalated_to = escalated_to
        #: (alarm id, escalated to the caller) -> (the alarm encoded, extra, its bytes). Only
        #: escalated_to_you differs between callers, so an alarm has at most two entries.
        self._encoded: dict[tuple[str, bool], tuple[Alarm, Hashable, bytes]] = {}

    def __len__(self) -> int:
        return len(self._encoded)

    def get(self, alarm: Alarm, caller_level: int, extra: Hashable = None) -> bytes:
        key = (alarm.id, self._escalated_to(alarm, caller_level))
        known = self._encoded.get(key)
        # A frozen Alarm: the same object (or an equal one, decoded again) encodes the same.
        if known is not None and (known[0] is alarm or known[0] == alarm) and known[1] == extra:
            return known[2]
        data = self._build(alarm, caller_level).SerializeToString()
        self._encoded[key] = (alarm, extra, data)
        return data

    def forget_absent(self, table: dict[str, Alarm]) -> None:
        """Drop what was kept for alarms no longer in ``table`` (a rebuild may drop some)."""
        if len(self._encoded) > 2 * len(table) + 1024:
            self._encoded = {key: value for key, value in self._encoded.items() if key[0] in table}


async def encode_in_chunks(ids: Collection[str], encode_current: Callable[[str], None],
                           chunk: int = ENCODE_CHUNK) -> int:
    """Call ``encode_current(id)`` for each of ``ids`` (it encodes the alarm as it is by then, or
    skips one gone), ``chunk`` at a time with a turn of the loop between; returns how many."""
    done = 0
    for id_ in ids:
        encode_current(id_)
        done += 1
        if done % chunk == 0:
            await asyncio.sleep(0)
    return done
