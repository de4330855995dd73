"""Child process for the kill -9 test (args: journal path, durability): appends as fast as it can and prints each acknowledged
sequence high-water mark (flushed) so the parent knows what was acknowledged before the kill."""
from __future__ import annotations

import asyncio
import sys

from hub.cli import logs
from hub.events import Category, Severity, new_event
from hub.journal import Journal


async def main(path: str, durability: str) -> None:
    journal = Journal(path, durability=durability, max_events_per_commit=2000)
    await journal.open()
    n = 0
    while True:
        futures = [journal.append(new_event(device_id="d", type="system.test", category=Category.CATEGORY_SYSTEM,
                                            severity=Severity.SEVERITY_INFO, attributes={"n": n + i}))
                   for i in range(500)]
        n += 500
        done = await asyncio.gather(*futures)
        print(done[-1], flush=True)


if __name__ == "__main__":
    logs.configure("warning")
    asyncio.run(main(sys.argv[1], sys.argv[2]))
