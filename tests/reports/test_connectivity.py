"""ReportService over real gRPC on loopback against a real hub whose journal holds generated
history: the figures match an independent count of the generated online time, they are the same
after a rebuild and after a restart, they follow the caller's scope, and bad windows are refused
(counted, nothing changed)."""
from __future__ import annotations

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from campushub.v1 import report_service_pb2 as pb
from hub.api.grpc.client import make_filter
from hub.events import set_timestamp
from tests.kernel.conftest import DEVICES, POLICE_TOKEN, running_hub

from .conftest import DAY, client, generated_journal, report_settings


def ts(at: float) -> Timestamp:
    stamp = Timestamp()
    set_timestamp(stamp, at)
    return stamp


def rows_by_key(response):
    return {(row.level, row.code, row.device_class): row for row in response.rows}


async def report(hub, start, end, token=None, **fields):
    kwargs = {"token": token} if token else {}
    async with client(hub, **kwargs) as caller:
        return await caller.report_call("GetConnectivityReport", start=ts(start), end=ts(end), **fields)


async def test_window_figures_match_the_generated_online_time_and_survive_rebuild_and_restart(tmp_path):
    start, end, plans = await generated_journal(tmp_path, days=3)
    window = (start + DAY / 2, end)
    async with running_hub(report_settings(tmp_path)) as hub:
        response = await report(hub, *window)
        rows = rows_by_key(response)
        school_a = rows[(pb.REPORT_LEVEL_SCHOOL, "sch-a", "all")]
        expected = sum(plans[d].online_seconds(*window) for d in ("fp-1", "cam-1"))
        assert school_a.inventory == 2 and school_a.name == "实验小学"
        assert school_a.online_seconds == pytest.approx(expected, abs=1e-3)
        assert school_a.inventory_seconds == pytest.approx(2 * (window[1] - window[0]), abs=1e-3)
        assert school_a.online_rate == pytest.approx(expected / school_a.inventory_seconds)
        county = rows[(pb.REPORT_LEVEL_COUNTY, "140802", "all")]
        assert county.name == "盐湖区" and county.inventory == 3
        assert rows[(pb.REPORT_LEVEL_PROVINCE, "14", "all")].inventory == 4
        assert rows[(pb.REPORT_LEVEL_SCHOOL, "sch-a", "video")].inventory == 1
        assert 0 < county.online_rate < 1  # the generator's outages show
        await hub.reports.rebuild()
        assert (await report(hub, *window)).rows == response.rows
    async with running_hub(report_settings(tmp_path)) as hub:
        assert (await report(hub, *window)).rows == response.rows


async def test_a_device_joining_mid_window_counts_from_when_it_joined(tmp_path):
    start, end, plans = await generated_journal(tmp_path, days=2, specs=DEVICES[:1])
    late_start, _, late_plans = await generated_journal(tmp_path, days=1, specs=DEVICES[1:2], seed=3)
    async with running_hub(report_settings(tmp_path)) as hub:
        response = await report(hub, start + 60, end)
        row = rows_by_key(response)[(pb.REPORT_LEVEL_SCHOOL, "sch-a", "all")]
        assert row.inventory == 2
        assert row.inventory_seconds == pytest.approx((end - start - 60) + (end - late_start), abs=1e-3)
        expected = plans["fp-1"].online_seconds(start + 60, end) + late_plans["cam-1"].online_seconds(late_start, end)
        assert row.online_seconds == pytest.approx(expected, abs=1e-3)


async def test_reports_cover_the_callers_scope_only(tmp_path):
    start, end, _ = await generated_journal(tmp_path, days=1)
    async with running_hub(report_settings(tmp_path)) as hub:
        response = await report(hub, start + 10, end, token=POLICE_TOKEN)
        codes = {(row.level, row.code) for row in response.rows}
        assert (pb.REPORT_LEVEL_COUNTY, "140802") in codes
        assert not any(code in ("140821", "sch-c", "110101", "sch-bj", "11") for _, code in codes)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await report(hub, start + 10, end, token=POLICE_TOKEN, filter=make_filter(schools=["sch-bj"]))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_report_for_now_counts_online_devices_and_census(tmp_path):
    await generated_journal(tmp_path, days=1)
    async with running_hub(report_settings(tmp_path)) as hub:
        async with client(hub) as caller:
            response = await caller.report_call("GetConnectivityReport")
        county = rows_by_key(response)[(pb.REPORT_LEVEL_COUNTY, "140802", "all")]
        # The census at start says "unknown": nothing is online until the devices report again.
        assert county.inventory == 3 and county.online == 0
        assert response.journal_position == hub.journal.head


@pytest.mark.parametrize("window, code, words", [
    ((0, -DAY), grpc.StatusCode.INVALID_ARGUMENT, "ends before it starts"),
    ((-DAY, DAY), grpc.StatusCode.INVALID_ARGUMENT, "future"),
    ((-400 * DAY, -1), grpc.StatusCode.INVALID_ARGUMENT, "longer than a report covers"),
    ((-10 * DAY, -1), grpc.StatusCode.OUT_OF_RANGE, "retains"),
])
async def test_bad_windows_are_refused_and_counted(tmp_path, window, code, words):
    _, end, _ = await generated_journal(tmp_path, days=1)
    async with running_hub(report_settings(tmp_path)) as hub:
        head = hub.journal.head
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await report(hub, end + window[0], end + window[1])
        assert refused.value.code() == code and words in refused.value.details()
        assert hub.report_metrics.refused.labels("retention" if "retains" in words else "window")._value.get() == 1
        assert hub.journal.head == head
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await report(hub, end - 100, end, device_classes=["toasters"])
        assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT
