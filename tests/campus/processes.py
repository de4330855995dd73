"""Running `campus-hub` commands as real processes in tests, and reading what they print."""
from __future__ import annotations

import asyncio
import os
import pathlib
import signal
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "hub.cli"]


class CliProcess:
    """A `campus-hub ...` child; its stdout lines are collected as they come."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, name: str, *args: str, cwd: pathlib.Path, stderr_file: pathlib.Path) -> CliProcess:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        with open(stderr_file, "ab") as err:
            process = await asyncio.create_subprocess_exec(*CLI, *args, cwd=cwd, env=env,
                                                           stdout=asyncio.subprocess.PIPE, stderr=err)
        return cls(process, name)

    async def _read(self) -> None:
        while line := await self.process.stdout.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\n"))
            self._changed.set()
        self._changed.set()

    async def wait_for_line(self, text: str, timeout: float) -> str:
        """The first line containing ``text``; AssertionError with the output so far if none comes."""
        async def find() -> str:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                if self.process.returncode is not None and self._reader.done():
                    raise AssertionError(f"{self.name} exited ({self.process.returncode}) without printing {text!r}")
                self._changed.clear()
                await self._changed.wait()
        try:
            return await asyncio.wait_for(find(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name} did not print {text!r} within {timeout}s; it printed:\n"
                                 + "\n".join(self.lines)) from None

    def kill(self, signum: int = signal.SIGKILL) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signum)

    async def stop(self, timeout: float = 10) -> int:
        """SIGINT (Ctrl-C), then SIGKILL if it does not go."""
        self.kill(signal.SIGINT)
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.kill()
            await self.process.wait()
        await asyncio.gather(self._reader, return_exceptions=True)
        return self.process.returncode
