"""A notify that a real `campus-hub run` was still trying when it was SIGKILLed (with its journal
store process) is sent by the restarted process, from the journal alone: a real SIA DC-09 panic
frame starts the rule, the duty system is down until the kill and up for the restart, and it gets
the notification exactly once, with the first process's idempotency key."""
from __future__ import annotations

import asyncio
import os
import signal
import time

import grpc
from twisted.internet import defer
from twisted.web import server

from hub.access import new_token
from hub.api.grpc.client import HubClient, make_filter
from hub.linkage import LINKAGE_CATEGORY
from simulators.sia import SiaTransmitter
from tests.alarms import test_restart_kill as restart_kill
from tests.alarms.test_restart_kill import start
from tests.kernel.test_cli import free_port
from tests.linkage.test_linkage_notify_restart import DutySystem

# The alarm restart test's hub (SIA panic button, a supervisor's token), with a notify rule for
# its alarms instead of escalation.
HUB_YAML = restart_kill.HUB_YAML.split("alarms:\n")[0] + """\
linkage:
  rules:
    - id: tell-duty
      version: "2"
      when: {{categories: [panic]}}
      do:
        - notify: {{url: "http://127.0.0.1:{duty}/duty", attempts: 100, retry_initial: 0.1s, request_timeout: 1s,
                    timeout: 1h}}
"""

async def notify_events(client: HubClient, wanted, timeout: float = 30.0) -> list:
    """The journaled notify events (from the start of the journal) once ``wanted(events)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            call = client.subscribe(make_filter(categories=[LINKAGE_CATEGORY]), from_earliest=True, max_batch_delay_ms=10)
            events = []
            try:
                async with asyncio.timeout(1.0):
                    async for response in call:
                        events += [e for e in response.batch.events if e.attributes.get("action") == "notify"]
                        if wanted(events):
                            return events
            except TimeoutError:
                pass
            finally:
                call.cancel()
        except grpc.aio.AioRpcError:
            pass  # not up yet
        assert time.monotonic() < deadline, f"timed out; notify events: {[e.type for e in events]}"
        await asyncio.sleep(0.1)

async def answering(client: HubClient, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            await client.list_devices()
            return
        except grpc.aio.AioRpcError:
            assert time.monotonic() < deadline, "the hub never answered"
            await asyncio.sleep(0.1)

def phases(events) -> list[str]:
    return [e.type.rsplit(".", 1)[1] for e in events]

async def test_a_notify_cut_short_by_kill_9_is_sent_once_by_the_restarted_process(tmp_path):
    from twisted.internet import reactor

    token, digest = new_token()
    grpc_port, sia_port, duty_port = free_port(), free_port(), free_port()
    config = tmp_path / "hub.yaml"
    config.write_text(HUB_YAML.format(hub_id="notify-kill-hub", journal=tmp_path / "j.db", grpc=grpc_port, sia=sia_port, duty=duty_port))
    assert "alarms:" not in config.read_text() and "sia-main" in config.read_text()
    log = tmp_path / "hub.log"
    duty = DutySystem()
    listening = None
    hub = await start(config, digest, log)
    try:
        async with HubClient(f"127.0.0.1:{grpc_port}", token) as client:
            await answering(client)
            tx = await SiaTransmitter.start("127.0.0.1", sia_port, account="1001", transport="tcp", ack_timeout_s=2.0)
            try:
                assert (await tx.send_sia("PA", 1, area=1)).outcome == "ACK"
            finally:
                await tx.stop()
            [started] = await notify_events(client, lambda events: "started" in phases(events))
        os.killpg(hub.pid, signal.SIGKILL)  # while it is refused: the duty system is still down
        await hub.wait()
        listening = reactor.listenTCP(duty_port, server.Site(duty), interface="127.0.0.1")
        hub = await start(config, digest, log)
        async with HubClient(f"127.0.0.1:{grpc_port}", token) as client:
            events = await notify_events(client, lambda events: "done" in phases(events))
    finally:
        if hub.returncode is None:
            os.killpg(hub.pid, signal.SIGKILL)
            await hub.wait()
        if listening is not None:
            await defer.maybeDeferred(listening.stopListening).asFuture(asyncio.get_running_loop())
    assert phases(events) == ["started", "done"], log.read_text()
    done = events[1]
    [(key, body)] = duty.posts
    assert key == started.attributes["action_id"] == done.attributes["action_id"] == body["action_id"]
    assert body["rule"] == "tell-duty" and body["rule_version"] == "2" and body["event"]["type"].startswith("panic.")
    assert done.attributes["resumed"] and done.attributes["status"] == "202"
