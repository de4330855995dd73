"""The county scenario's history (config/scenarios/county.yaml, ``history:``), journaled as its
hub would have journaled it, then served by a real hub over gRPC: the connectivity figures per
county and device class, for the whole history, for its first week (before devices were added
and removed) and for its last day, and the one-button alarms' test compliance, equal an independent count from the
generator's own record of what it did; the rates are not trivial; the ledger holds an open
automatic entry for every fault left unrepaired, overdue exactly when its deadline has passed,
and the inspectors' entries; a rebuild gives the same figures."""
from __future__ import annotations

import time

import pytest

from campushub.v1 import ledger_service_pb2 as ledger_pb
from campushub.v1 import report_service_pb2 as pb
from hub.events import set_timestamp
from hub.journal import Journal
from hub.ledger import LedgerSettings
from hub.reports import ReportSettings
from simulators.campus.hubconfig import hub_id_of
from simulators.campus.past import device_specs, journal_past
from simulators.campus.scenario import load_scenario
from tests.kernel.conftest import running_hub, settings
from tests.reports.conftest import client

DAY = 86400.0
CLASSES = ("panic", "video", "fire", "network", "power", "access", "other")


def ts(at: float):
    from google.protobuf.timestamp_pb2 import Timestamp
    stamp = Timestamp()
    set_timestamp(stamp, at)
    return stamp


def counted(plans, start: float, end: float) -> dict[str, tuple[int, int, int, float]]:
    """Per device class (and "all"): inventory, networked, online at the end and 在线率, from the
    generator's record alone (the definitions of docs/operator-guide.md, "Reports")."""
    sums: dict[str, list[float]] = {}
    for plan in plans.values():
        if not plan.in_inventory(end):
            continue
        joined = max(start, plan.joined_at)
        networked = any(a <= end and b > joined for a, b in plan.intervals)
        online = any(a <= end <= b for a, b in plan.intervals)
        for key in (plan.device_class, "all"):
            row = sums.setdefault(key, [0, 0, 0, 0.0, 0.0])
            row[0] += 1
            row[1] += networked
            row[2] += online
            row[3] += plan.online_seconds(joined, end)
            row[4] += end - joined
    return {key: (int(n), int(net), int(on), seconds / span) for key, (n, net, on, seconds, span) in sums.items()}


def panic_missed(plans, at: float) -> set[str]:
    """One-button alarms in the inventory with no test in the 24 h before ``at`` that took at most 10 s."""
    return {plan.device for plan in plans.values() if plan.device_class == "panic" and plan.in_inventory(at)
            and not any(at - DAY <= received <= at and delay <= 10.0 for received, delay in plan.tests)}


@pytest.fixture(scope="module")
def county():
    return load_scenario("county")


async def test_the_county_history_reports_what_it_did(tmp_path, county):
    hub_id = hub_id_of(county)
    journal = Journal(str(tmp_path / "journal.db"), max_age=None, max_bytes=None)
    await journal.open()
    ledger_settings = LedgerSettings(photo_dir=str(tmp_path / "photos"), tick_interval=None)
    record = await journal_past(journal, county, hub_id, time.time() - 60, ReportSettings(), ledger_settings)
    await journal.close()
    start, end = record.start, record.end
    assert {"s003-cam-old-1", "s050-cam-15"} <= set(record.plans)
    hub_settings = settings(tmp_path, hub_id=hub_id, devices=device_specs(county), max_age=None,
                            reports=ReportSettings(retention=None), ledger=ledger_settings)
    async with running_hub(hub_settings) as hub:
        assert hub.reports.snapshots.position > 0  # it went on from the history's snapshot
        async with client(hub) as caller:
            async def figures():
                windows = {}
                for window in ((start, end), (start, start + 7 * DAY), (end - DAY, end)):
                    response = await caller.report_call("GetConnectivityReport", start=ts(window[0]),
                                                        end=ts(window[1]), levels=[pb.REPORT_LEVEL_COUNTY])
                    windows[window] = {row.device_class: row for row in response.rows if row.code == "140802"}
                return windows

            windows = await figures()
            for (window_start, window_end), rows in windows.items():
                expected = counted(record.plans, window_start, window_end)
                assert set(rows) == set(expected)
                for device_class, (inventory, networked, online, online_rate) in expected.items():
                    row = rows[device_class]
                    assert (row.inventory, row.networked, row.online) == (inventory, networked, online), device_class
                    assert row.online_rate == pytest.approx(online_rate, rel=1e-9), device_class
            whole = windows[(start, end)]
            # The churn shows: the removed cameras are gone, and the rates are neither 0 nor 100%.
            assert whole["all"].inventory == len(county.devices)
            assert 0.9 < whole["video"].online_rate < 0.995 and whole["video"].online < whole["video"].inventory
            last_day = windows[(end - DAY, end)]
            assert last_day["video"].networked == last_day["video"].inventory - 2  # the two offline for days

            compliance = await caller.report_call("GetComplianceReport", at=ts(end))
            missed = {test.device_id for test in compliance.panic_tests if not test.passed}
            assert missed == panic_missed(record.plans, end) and missed
            assert compliance.panic_devices == sum(1 for p in record.plans.values()
                                                   if p.device_class == "panic" and p.in_inventory(end))
            assert {day.device_id for day in compliance.false_alarm_days} <= {
                p.device for p in record.plans.values() if p.false_alarms}

            # The ledger: every unrepaired fault has its open automatic entry, overdue when its
            # deadline (7 days; a camera's entry opens after 24 h offline) has passed.
            listed = await caller.ledger_call("ListHazards", page_size=1000)
            hazards = list(listed.hazards)
            assert listed.total == len(hazards) == len(hub.ledger.table)
            for fault in county.scenario.history.unrepaired:
                cause = "camera_offline" if fault.fault == "offline" else fault.fault
                [entry] = [h for h in hazards if h.device_id == fault.device and h.source == f"auto:{cause}"
                           and h.state != ledger_pb.HAZARD_STATE_CLOSED]
                opened = end - fault.ago + (DAY if fault.fault == "offline" else 0.0)
                assert entry.overdue == (opened + 7 * DAY < end), fault
            assert any(h.overdue for h in hazards)
            assert set(record.inspections) <= {h.id for h in hazards} and record.inspections
            assert any(h.state == ledger_pb.HAZARD_STATE_CLOSED for h in hazards)

            await hub.reports.rebuild()
            assert await figures() == windows
