"""The journal store process: the SQLite write connection in a process of its own.

Why a process: SQLite's own work was a fifth of the event loop's time at full ingest, and a
writer thread is no way out, because every statement hands the GIL back and forth with the loop
(three forced switches per commit, which cost the loop more than the write itself). A process
has its own GIL. The hub sends it each large commit's rows in one message and goes on; the reply
comes back when the rows are committed. (Pipeline benchmark: 25% more events/s than commits on
the loop, which in turn beat a writer thread.)

It reads requests on stdin and answers on stdout (hub.journal._store_protocol), and exits when
its stdin closes, so it never outlives the hub by more than a commit. Run as
``python -m hub.journal._store_server``; the hub does that (see hub.journal._store_process).
"""
from __future__ import annotations

import marshal
import os
import signal
import sqlite3
import sys

from hub.journal._store import JournalStore
from hub.journal._store_protocol import HEADER, send

_OPERATIONS = frozenset({"write", "save_cursors", "max_sequence", "retain", "close"})


def serve(requests, replies) -> None:
    """Answer requests until the hub closes the pipe or asks to close."""
    store: JournalStore | None = None
    while True:
        header = requests.read(HEADER.size)
        if len(header) < HEADER.size:
            break
        operation, arguments = marshal.loads(requests.read(HEADER.unpack(header)[0]))
        try:
            if operation == "open":
                store = JournalStore(*arguments)
                result = store.open()
            elif operation in _OPERATIONS and store is not None:
                result = getattr(store, operation)(*arguments)
            else:
                raise ValueError(f"unknown journal store operation {operation!r}")
            reply = ("ok", result)
        except (sqlite3.Error, OSError) as exc:
            reply = ("io", str(exc))
        except Exception as exc:  # a bug: the hub fails the commit's appenders and goes on
            reply = ("bug", repr(exc))
        notes = store.notes if store is not None else []
        send(replies, (*reply, notes))
        notes.clear()
        if operation == "close":
            break
    if store is not None:
        store.close()


if __name__ == "__main__":
    # Ctrl-C in a terminal and a service manager's SIGTERM reach the whole process group: the hub
    # shuts down by committing what it holds, which needs this process. It exits when the hub
    # closes its requests pipe, whether the hub stopped cleanly or was killed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # stdout carries replies: anything else printed goes to stderr.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, replies)
