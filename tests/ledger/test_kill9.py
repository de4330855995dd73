"""A real hub process (campus-hub run) killed with SIGKILL: the ledger entries acknowledged before
the kill are all there after a restart, in the state they were acknowledged in, and the
connectivity report for a window before the kill gives the same figures."""
from __future__ import annotations

import asyncio
import os
import signal
import time

from google.protobuf.timestamp_pb2 import Timestamp

from campushub.v1 import ledger_service_pb2 as pb
from hub.access import new_token
from hub.api.grpc.client import HubClient
from hub.events import set_timestamp
from tests.kernel.test_cli import CLI, free_port

HUB_YAML = """\
hub: {{id: kill-test}}
journal: {{path: {journal}}}
listeners:
  grpc: {{address: "127.0.0.1:{port}"}}
sites:
  - {{school_id: sch-1, region_code: "140802", name: 实验小学}}
adapters:
  - {{name: synth, type: synthetic, options: {{rate: 100, seed: 1}}}}
devices:
  - {{id: fp-1, kind: fire_panel, adapter: synth, site: {{school_id: sch-1, building: A}}}}
  - {{id: cam-1, kind: camera, adapter: synth, site: {{school_id: sch-1}}}}
subscribers:
  - id: ops
    token_sha256: ${{OPS_SHA}}
    scope: {{all_regions: true}}
    role: supervisor
reports:
  region_names: {{"140802": 盐湖区}}
"""


async def start_hub(config, digest):
    return await asyncio.create_subprocess_exec(*CLI, "run", "-c", str(config), env={**os.environ, "OPS_SHA": digest},
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def connected(target, token) -> HubClient:
    for _ in range(200):
        client = HubClient(target, token)
        try:
            await client.ledger_call("ListHazards")
            return client
        except Exception:
            await client.close()
            await asyncio.sleep(0.1)
    raise AssertionError("the hub did not come up")


def ts(at: float) -> Timestamp:
    stamp = Timestamp()
    set_timestamp(stamp, at)
    return stamp


async def test_ledger_and_reports_survive_kill_9(tmp_path):
    token, digest = new_token()
    port = free_port()
    config = tmp_path / "hub.yaml"
    config.write_text(HUB_YAML.format(journal=tmp_path / "data" / "journal.db", port=port))
    target = f"127.0.0.1:{port}"
    hub = await start_hub(config, digest)
    try:
        client = await connected(target, token)
        start = time.time()
        acknowledged = {}
        for n in range(20):
            hazard = (await client.ledger_call("RegisterHazard", grade=pb.HAZARD_GRADE_GENERAL, category="fire",
                                               school_id="sch-1", description=f"finding {n}")).hazard
            if n % 2:
                hazard = (await client.ledger_call("MoveHazard", hazard_id=hazard.id,
                                                   to=pb.HAZARD_STATE_RECTIFYING)).hazard
            acknowledged[hazard.id] = (hazard.state, hazard.revision)
        await asyncio.sleep(1.5)
        end = time.time() - 0.5  # (what came in after this is surely applied before the report reads)
        before = await client.report_call("GetConnectivityReport", start=ts(start), end=ts(end))
        await client.close()
    finally:
        hub.send_signal(signal.SIGKILL)
        await hub.wait()
    hub = await start_hub(config, digest)
    try:
        client = await connected(target, token)
        listed = await client.ledger_call("ListHazards", page_size=1000)
        found = {h.id: (h.state, h.revision) for h in listed.hazards if h.source == "inspection"}
        assert found == acknowledged
        after = await client.report_call("GetConnectivityReport", start=ts(start), end=ts(end))
        assert after.rows == before.rows and any(row.name == "盐湖区" for row in after.rows)
        await client.close()
    finally:
        hub.send_signal(signal.SIGTERM)
        await hub.wait()
