"""The console's live feed: server-sent events read from the journal with a JournalCursor.

Each event's ``id`` is the journal sequence of the entry it comes from (an alarm change's
sequence is the alarm table's revision), so a browser that reconnects sends ``Last-Event-ID`` and
the stream resumes right after it: nothing is missed while the connection was down. A page gives
the position it was rendered at (``?after=``), so changes between rendering and connecting are not
missed either. When the position is no longer retained (or is ahead of this journal) the stream
sends ``reset`` and the page reloads.

Events: ``alarm`` (a scoped alarm change: id, device, revision, state, priority, active) and
``device`` (a scoped device.online/offline/fault: device, state). A page that shows one alarm or
one ledger entry says so (:class:`Watched`) and also gets ``media`` (linkage attached a snapshot
to that alarm, after it was raised) or ``hazard`` (that entry changed: a move, a comment, a
photo, supervision, overdue). A comment line every ``KEEPALIVE`` seconds finds dead connections.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable

from hub.alarms import Alarm, change_of, is_change
from hub.console._history import STATES
from hub.journal import Journal, JournalCursor, RetentionExceeded
from hub.ledger import hazard_of, is_ledger_change
from hub.linkage import LINKAGE_CATEGORY, attached_media

KEEPALIVE = 15.0
#: Browsers wait this long before reconnecting (ms).
RETRY_MS = 1500
READ_BATCH = 500


@dataclasses.dataclass(frozen=True)
class Watched:
    """The one alarm and the one ledger entry a page shows (already checked against the
    operator's scope: their place never changes), whose own changes it follows too."""

    alarm: str = ""
    hazard: str = ""


NOTHING_WATCHED = Watched()


def resume_position(last_event_id: str, after: str, head: int) -> int:
    """Where a stream starts: after Last-Event-ID if the browser sent one, else ``?after=``,
    else the journal's head (only what happens from now)."""
    for text in (last_event_id.strip(), after.strip()):
        if text.isascii() and text.isdigit() and len(text) <= 18:
            return int(text)
    return head


def frame(event: str, data: dict | str, id_: int | None = None) -> bytes:
    lines = []
    if id_ is not None:
        lines.append(f"id: {id_}")
    lines.append(f"event: {event}")
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    lines.extend(f"data: {line}" for line in text.split("\n"))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


async def stream(write: Callable[[bytes], None], journal: Journal, after: int,
                 alarm_in_scope: Callable[[Alarm], bool], place_in_scope: Callable[[str, str, str], bool],
                 on_sent: Callable[[int], None] | None = None, alive: Callable[[], bool] = lambda: True,
                 watched: Watched = NOTHING_WATCHED) -> None:
    """Write the feed after journal position ``after`` until cancelled (the connection closed, the
    session ended), ``alive()`` turns false (the session expired) or the journal closes."""
    write(f"retry: {RETRY_MS}\n\n".encode())
    if after > journal.head:
        write(frame("reset", {"reason": "ahead"}))
        return
    cursor = JournalCursor.at(journal, after)
    while True:
        try:
            entries = await cursor.read(READ_BATCH)
        except RetentionExceeded:
            write(frame("reset", {"reason": "retention"}))
            return
        if not alive():
            return
        if not entries:
            if not await cursor.wait(timeout=KEEPALIVE):
                if journal.closed:
                    return
                write(b": keepalive\n\n")
            continue
        chunks = []
        for entry in entries:
            if is_change(entry):
                change = change_of(entry)
                alarm = change.alarm
                if alarm_in_scope(alarm):
                    chunks.append(frame("alarm", {
                        "id": alarm.id, "device": alarm.device, "revision": alarm.revision,
                        "state": alarm.state.value, "priority": alarm.priority, "active": alarm.active,
                        "change": change.kind}, entry.seq))
            elif watched.alarm and entry.category == LINKAGE_CATEGORY and entry.type == "linkage.action.done":
                alarm_id, media = attached_media(entry.event())
                if alarm_id == watched.alarm:
                    chunks.append(frame("media", {"alarm": alarm_id, "kinds": sorted({m.kind for m in media})},
                                        entry.seq))
            elif watched.hazard and is_ledger_change(entry):
                hazard, kind, _ = hazard_of(entry.event())
                if hazard.id == watched.hazard and kind != "compacted":  # (compacted: journaled again unchanged)
                    chunks.append(frame("hazard", {"id": hazard.id, "revision": hazard.revision,
                                                   "state": hazard.state, "change": kind}, entry.seq))
            else:
                state = STATES.get(entry.type)
                if state is not None and place_in_scope(entry.region, entry.school, entry.device):
                    chunks.append(frame("device", {"device": entry.device, "state": state}, entry.seq))
        if chunks:
            write(b"".join(chunks))
            if on_sent is not None:
                on_sent(len(chunks))
        await asyncio.sleep(0)  # (a long catch-up lets the reactor write between batches)
