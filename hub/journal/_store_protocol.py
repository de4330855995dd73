"""The message framing between the hub and its journal store process.

Each message is a 4-byte little-endian length and a `marshal`led tuple. A request is
``(operation, arguments)``; a reply is ``(status, result, notes)`` where status is "ok", "io" (an
SQLite or OS error: the disk, the file system) or "bug", and notes are log records
``(level, message, fields)`` for the hub to log. One request is sent at a time.
"""
from __future__ import annotations

import marshal
import struct

HEADER = struct.Struct("<I")


def send(stream, message: tuple) -> None:
    """Write one message: its length, then the marshalled tuple."""
    data = marshal.dumps(message)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()
