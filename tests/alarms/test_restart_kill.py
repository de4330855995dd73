"""Alarm timers survive kill -9 with their remaining time: a real `campus-hub run` process gets a
real SIA DC-09 panic frame over TCP, is SIGKILLed (with its journal store process) before the
first escalation step is due, stays down past it, and after a restart escalates at once to the
step that fell due, then to the next one when *its* time since the alarm was raised comes, not a
full step after the restart."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

import grpc

from hub.access import new_token
from hub.api.grpc.client import HubClient
from simulators.sia import SiaTransmitter

from tests.kernel.test_cli import free_port
from tests.orphans import die_with_parent

CLI = [sys.executable, "-m", "hub.cli"]
PANIC = "panic-1/panic.alarm/gate"
COUNTY_AFTER, CITY_AFTER = 3.0, 12.0

#: A hub with one school, an SIA receiver and a supervisor "duty" (its token's digest in DUTY_SHA);
#: its devices and alarm classes follow.
SIA_HUB_HEAD = """\
hub: {{id: {hub_id}}}
journal: {{path: {journal}}}
listeners:
  grpc: {{address: "127.0.0.1:{grpc}"}}
  metrics: null
sites:
  - {{school_id: sch-1, region_code: "140802"}}
adapters:
  - {{name: sia-main, type: sia, options: {{host: 127.0.0.1, tcp_port: {sia}, udp_port: null}}}}
subscribers:
  - {{id: duty, token_sha256: "${{DUTY_SHA}}", scope: {{all_regions: true}}, role: supervisor}}
"""

HUB_YAML = SIA_HUB_HEAD + """\
devices:
  - {{id: panic-1, kind: panic_button, adapter: sia-main, site: {{school_id: sch-1, zone: gate}},
     options: {{account: "1001"}}}}
alarms:
  classes:
    - name: panic
      categories: [panic]
      priority: 1
      latch: true
      escalation: [{{after: {county}s, to: county}}, {{after: {city}s, to: city}}]
"""


async def start(config, digest, log) -> asyncio.subprocess.Process:
    with open(log, "ab") as err:
        return await asyncio.create_subprocess_exec(
            *CLI, "run", "-c", str(config), env={**os.environ, "DUTY_SHA": digest}, stdout=asyncio.subprocess.DEVNULL,
            stderr=err, start_new_session=True,  # its own process group: the journal store dies with it
            preexec_fn=die_with_parent)


async def until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = await predicate()
            if found:
                return found
        except grpc.aio.AioRpcError:
            pass  # not up yet
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_escalation_fires_at_its_remaining_time_after_kill_9(tmp_path):
    token, digest = new_token()
    grpc_port, sia_port = free_port(), free_port()
    config = tmp_path / "hub.yaml"
    config.write_text(HUB_YAML.format(hub_id="restart-hub", journal=tmp_path / "j.db", grpc=grpc_port, sia=sia_port,
                                      county=COUNTY_AFTER, city=CITY_AFTER))
    log = tmp_path / "hub.log"
    hub = await start(config, digest, log)
    try:
        async with HubClient(f"127.0.0.1:{grpc_port}", token) as duty:
            await until(lambda: duty.list_alarms())  # the hub answers
            tx = await SiaTransmitter.start("127.0.0.1", sia_port, account="1001", transport="tcp", ack_timeout_s=2.0)
            try:
                assert (await tx.send_sia("PA", 1, area=1)).outcome == "ACK"
            finally:
                await tx.stop()
            raised = await until(lambda: duty.get_alarm(PANIC))
        raised_at = raised.raised_at.seconds + raised.raised_at.nanos / 1e9
        assert raised.escalation_level == 0
        os.killpg(hub.pid, signal.SIGKILL)
        await hub.wait()
        await asyncio.sleep(max(0.0, raised_at + COUNTY_AFTER + 2 - time.time()))  # down past the county step

        hub = await start(config, digest, log)
        async with HubClient(f"127.0.0.1:{grpc_port}", token) as duty:
            await until(lambda: duty.list_alarms())
            answering = time.time()
            city = await until(lambda: _at_level(duty, 2), timeout=CITY_AFTER + 30)
            history = (await duty.alarm_call("GetAlarmHistory", alarm_id=PANIC)).changes
    finally:
        if hub.returncode is None:
            os.killpg(hub.pid, signal.SIGKILL)
            await hub.wait()
    assert [(c.change, c.alarm.escalation_level) for c in history] == [("raised", 0), ("escalated", 1),
                                                                        ("escalated", 2)], log.read_text()
    county_at, city_at = (_seconds(c.alarm.changed_at) for c in history[1:])
    assert raised_at + COUNTY_AFTER <= county_at <= answering + 4  # at once after the restart
    # The city step came when it was due since the raise; a timer restarted with the hub would
    # have fired a whole step (CITY_AFTER) after the restart.
    assert raised_at + CITY_AFTER <= city_at < raised_at + CITY_AFTER + 4 < answering + CITY_AFTER
    assert city.escalated_to == "city"


async def _at_level(duty, level):
    alarm = await duty.get_alarm(PANIC)
    return alarm if alarm.escalation_level >= level else None


def _seconds(stamp) -> float:
    return stamp.seconds + stamp.nanos / 1e9
