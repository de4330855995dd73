from __future__ import annotations

import time

from hub.api.grpc.client import HubClient
from hub.journal import Journal
from hub.reports import ReportSettings
from simulators.campus.history import history, write_history
from tests.kernel.conftest import ALL_TOKEN, DEVICES, settings

DAY = 86400.0
REGION_NAMES = {"14": "山西省", "1408": "运城市", "140802": "盐湖区", "140821": "临猗县"}


def report_settings(tmp_path, **overrides):
    reports = ReportSettings(region_names=REGION_NAMES, school_names={"sch-a": "实验小学"}, retention=None)
    return settings(tmp_path, **{"reports": reports, "max_age": None, **overrides})


async def generated_journal(tmp_path, days: float = 2.0, specs=DEVICES, seed: int = 7, **kwargs):
    """A journal at tmp_path/journal.db holding ``days`` of generated history that ends two
    minutes ago; returns (start, end, plans)."""
    end = time.time() - 120
    start = end - days * DAY
    events, plans = history(specs, start, end, seed=seed, **kwargs)
    journal = Journal(str(tmp_path / "journal.db"), max_age=None, max_bytes=None)
    await journal.open()
    await write_history(journal, events)
    await journal.close()
    return start, end, plans


def client(hub, token=ALL_TOKEN) -> HubClient:
    return HubClient(f"127.0.0.1:{hub.grpc_port}", token)
