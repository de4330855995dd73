"""Child process for the snapshot kill -9 test (arg: journal path): the report and ledger
projections follow a journal that takes device events and ledger changes as fast as it can, and
each saves a snapshot every few hundred entries, so a kill lands in the middle of one. Prints
each committed head (flushed) so the parent knows the child is busy."""
from __future__ import annotations

import asyncio
import random
import sys
import tempfile

from hub.cli import logs
from hub.events import Category, Severity, new_event
from hub.journal import Journal
from hub.ledger import Hazard, LedgerProjection, LedgerSettings, change_event
from hub.reports import ReportProjection, ReportSettings

DEVICES = 3000
SNAPSHOT_EVERY = 300


def projections(journal: Journal) -> tuple[ReportProjection, LedgerProjection]:
    """The two projections as the child and the parent's check build them."""
    reports = ReportProjection(journal, None, None, ReportSettings(retention=None), "child",
                               snapshot_every=SNAPSHOT_EVERY)
    ledger = LedgerProjection(journal, None, LedgerSettings(photo_dir=tempfile.gettempdir(), tick_interval=None),
                              snapshot_every=SNAPSHOT_EVERY)
    return reports, ledger


def device_event(rng: random.Random):
    n = rng.randrange(DEVICES)
    event = new_event(device_id=f"d{n}", type=rng.choice(("device.online", "device.offline")),
                      category=Category.CATEGORY_DEVICE, severity=Severity.SEVERITY_INFO,
                      attributes={"kind": rng.choice(("camera", "panic_button", "ups"))})
    event.site.region_code, event.site.school_id = "140802", f"sch-{n % 40}"
    return event


def ledger_event(rng: random.Random, revision: int):
    n = rng.randrange(200)
    hazard = Hazard(id=f"HZ-{n}", grade="general", category="fire", region="140802", school=f"sch-{n % 40}",
                    description=f"finding {n}", state=rng.choice(("registered", "rectifying")), revision=revision,
                    changed_at=float(revision), last_actor="child")
    return change_event(hazard, "registered")


async def main(path: str) -> None:
    journal = Journal(path, max_age=None, max_bytes=None)
    await journal.open()
    for projection in projections(journal):
        await projection.start()
    rng = random.Random()
    revision = 0
    while True:
        batch = []
        for _ in range(200):
            revision += 1
            batch.append(ledger_event(rng, revision) if rng.random() < 0.05 else device_event(rng))
        done = await asyncio.gather(*map(journal.append, batch))
        print(done[-1], flush=True)
        await asyncio.sleep(0.005)


if __name__ == "__main__":
    logs.configure("warning")
    asyncio.run(main(sys.argv[1]))
