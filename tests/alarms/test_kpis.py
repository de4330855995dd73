"""Alarm KPIs from the changes the table applied: floods, chattering, standing, time to
acknowledge, unacknowledged by priority; per scope over gRPC, in the CLI and as Prometheus
gauges; rebuilt with the table."""
from __future__ import annotations

import asyncio
import urllib.request

from hub.alarms import Acknowledge, Alarm, Clear, KpiTracker, Raise, apply

from tests.kernel.conftest import ALL_TOKEN, POLICE_TOKEN
from tests.kernel.test_cli import run_cli

from .test_alarm_service import client, fire, panic, settled

EVERYWHERE = lambda region, school, device: True  # noqa: E731
NOW = 1_000_000.0


def _alarm(n: int, school="sch-a", priority=2) -> Alarm:
    return Alarm(id=f"d{n}/t", device=f"d{n}", type="t", region="140802", school=school, priority=priority)


def _feed(tracker, alarm, command, at, actor="device:d"):
    result = apply(alarm, command, at, actor)
    tracker.observe(alarm if alarm.revision else None, result.alarm, result.kind)
    return result.alarm


def test_a_flood_is_more_than_ten_in_ten_minutes_counted_once_per_spell():
    tracker, table = KpiTracker(), []
    for n in range(11):  # 11 within 100 s: a flood
        table.append(_feed(tracker, _alarm(n), Raise(), NOW - 7200 + n * 10))
    for n in range(11, 21):  # 10 spread over an hour: none
        table.append(_feed(tracker, _alarm(n), Raise(), NOW - 3500 + (n - 11) * 300))
    kpis = tracker.report(table, EVERYWHERE, NOW)
    assert (kpis.activations, kpis.floods, kpis.in_flood) == (21, 1, False)
    assert kpis.activations_per_hour == 21 / 24
    assert kpis.unacknowledged_by_priority == {1: 0, 2: 21, 3: 0, 4: 0}
    assert tracker.report(table, EVERYWHERE, NOW, period=3600).activations == 10


def test_chattering_standing_and_time_to_acknowledge():
    tracker = KpiTracker()
    chatty = _alarm(1)
    for at in (NOW - 100, NOW - 80, NOW - 60):  # three activations within 60 s
        chatty = _feed(tracker, chatty, Raise(), at)
        chatty = _feed(tracker, chatty, Clear(), at + 1)
    old = _feed(tracker, _alarm(2, school="sch-b"), Raise(), NOW - 25 * 3600)  # standing, outside the period
    waits = []
    for n, wait in enumerate((10.0, 20.0, 30.0, 40.0)):
        raised = _feed(tracker, _alarm(10 + n), Raise(), NOW - 500)
        waits.append(_feed(tracker, raised, Acknowledge(1), NOW - 500 + wait, "subscriber:ops"))
    auto = _feed(tracker, _alarm(20), Raise(), NOW - 500)
    _feed(tracker, auto, Acknowledge(1), NOW - 10, "hub")  # the hub's: not a person's time
    kpis = tracker.report([chatty, old, *waits], EVERYWHERE, NOW)
    assert (kpis.chattering, kpis.standing, kpis.acknowledgements) == (1, 1, 4)
    assert (kpis.ack_p50, kpis.ack_p95) == (20.0, 40.0)
    only_b = tracker.report([chatty, old, *waits], lambda region, school, device: school == "sch-b", NOW)
    assert (only_b.chattering, only_b.standing, only_b.acknowledgements, only_b.ack_p50) == (0, 1, 0, None)


async def test_kpis_per_scope_over_grpc_the_cli_and_prometheus_and_rebuilt_with_the_table(alarm_hub):
    for event in (fire(), panic(), panic("far-1")):
        await alarm_hub.submit(event, "synth")
    await settled(alarm_hub)
    async with client(alarm_hub, POLICE_TOKEN) as police, client(alarm_hub, ALL_TOKEN) as supervisor:
        await police.acknowledge_alarm("fp-1/fire.alarm", 1)
        mine = await police.alarm_call("GetAlarmKpis")
        everything = await supervisor.alarm_call("GetAlarmKpis", period_seconds=3600)
    assert (mine.activations, mine.acknowledgements, mine.period_seconds) == (2, 1, 86400)  # not far-1's
    assert [(u.priority, u.count) for u in mine.unacknowledged] == [(1, 1), (2, 0), (3, 0), (4, 0)]
    assert mine.time_to_acknowledge_p50_seconds > 0
    assert (everything.activations, everything.unacknowledged[0].count) == (3, 2)

    before = alarm_hub.alarms.kpis.report(list(alarm_hub.alarms.table.values()), EVERYWHERE, NOW)
    await alarm_hub.alarms.rebuild()
    assert alarm_hub.alarms.kpis.report(list(alarm_hub.alarms.table.values()), EVERYWHERE, NOW) == before

    code, out, err = await run_cli("alarm-kpis", "--target", f"127.0.0.1:{alarm_hub.grpc_port}",
                                   "--token", POLICE_TOKEN)
    assert code == 0 and "activations             2" in out and "P1: 1" in out, err
    def scrape() -> str:  # (in a thread: the hub serves it on this loop)
        with urllib.request.urlopen(f"http://127.0.0.1:{alarm_hub.metrics_port}/metrics", timeout=10) as response:
            return response.read().decode()
    text = await asyncio.to_thread(scrape)
    assert 'campushub_alarm_unacknowledged{priority="1"} 2.0' in text
    assert "campushub_alarm_floods 0.0" in text and 'campushub_alarm_time_to_acknowledge_seconds{quantile="0.5"}' in text
