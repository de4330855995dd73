"""The hub's handle on its journal store process (see hub.journal._store_server)."""
from __future__ import annotations

import asyncio
import collections
import fcntl
import marshal
import os
import sqlite3
import subprocess
import sys

from hub.journal._store_protocol import HEADER, send


class StoreGone(OSError):
    """The store process exited (it was killed, or it crashed)."""


class StoreProcess:
    """The hub's handle on its store process: requests in, replies (futures) out, in order."""

    def __init__(self, on_note) -> None:
        self._on_note = on_note
        self._process: subprocess.Popen | None = None
        self._waiting: collections.deque[asyncio.Future] = collections.deque()
        self._received = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._one_at_a_time = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "hub.journal._store_server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")]))})
        requests, replies = self._process.stdin.fileno(), self._process.stdout.fileno()
        for fd in (requests, replies):
            try:  # room for a large commit in one write (Linux); the default 64 KiB also works
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
            except (AttributeError, OSError):
                pass
        os.set_blocking(replies, False)
        self._loop.add_reader(replies, self._read_replies)

    async def call(self, operation: str, *arguments):
        """Run an operation in the store; returns its result. Raises StoreGone, sqlite3.Error for
        "io" replies and RuntimeError for "bug" ones.

        One request at a time: the store is then always waiting for the next, so the (blocking)
        write of a large commit lasts no longer than the copy into the pipe."""
        async with self._one_at_a_time:
            if not self.running:
                raise StoreGone("the journal store process is not running")
            try:
                send(self._process.stdin, (operation, arguments))
            except (BrokenPipeError, ValueError) as exc:
                raise StoreGone(f"the journal store process exited: {exc}") from None
            future = self._loop.create_future()
            self._waiting.append(future)
            return await future

    def _read_replies(self) -> None:
        try:
            chunk = os.read(self._process.stdout.fileno(), 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            self._gone()
            return
        received = self._received
        received += chunk
        while len(received) >= HEADER.size:
            size = HEADER.unpack_from(received)[0]
            if len(received) < HEADER.size + size:
                break
            status, result, notes = marshal.loads(received[HEADER.size:HEADER.size + size])
            del received[:HEADER.size + size]
            for level, message, fields in notes:
                self._on_note(level, message, fields)
            future = self._waiting.popleft()
            if future.done():
                continue
            if status == "ok":
                future.set_result(result)
            elif status == "io":
                future.set_exception(sqlite3.OperationalError(result))
            else:
                future.set_exception(RuntimeError(f"journal store: {result}"))

    def _gone(self) -> None:
        self._loop.remove_reader(self._process.stdout.fileno())
        code = self._process.wait()
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(StoreGone(f"the journal store process exited with status {code}"))

    async def stop(self) -> None:
        """Ask the store to close, then reap it. Closed last (see Journal.close), its connection
        checkpoints and removes the WAL and shared-memory files."""
        if self._process is None:
            return
        if self.running:
            try:
                await self.call("close")
            except StoreGone:
                pass
        if self._process.stdout is not None and not self._process.stdout.closed:
            try:
                self._loop.remove_reader(self._process.stdout.fileno())
            except ValueError:
                pass
        for pipe in (self._process.stdin, self._process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        await self._loop.run_in_executor(None, self._process.wait)
        self._process = None


#: The directory holding the hub package, so the store process imports the same code.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
