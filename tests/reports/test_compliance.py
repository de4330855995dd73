"""Test compliance from real journaled events through a real hub: a panic button whose test came
in time passes, one whose test was late or missing is listed with why; a fire panel with fewer
test transmissions than required this month; a device with more than 5 false alarms in a day.
Also: device classes from kind with per-kind and per-device overrides in config."""
from __future__ import annotations

import time

import pytest

from campushub.v1 import report_service_pb2 as pb
from hub.events import Category, Severity, State, new_event, set_timestamp
from hub.reports import DeviceClasses, ReportSettings
from hub.spi import DeviceSpec
from tests.kernel.conftest import DEVICES, running_hub, site

from .conftest import client, report_settings

PANICS = [DeviceSpec(id=f"pb-{n}", kind="panic_button", adapter="synth", site=site("140802", "sch-b"))
          for n in (2, 3)]


def panic_test_event(device: str, sent: float) -> object:
    event = new_event(device_id=device, type="system.test", category=Category.CATEGORY_SYSTEM,
                      severity=Severity.SEVERITY_INFO, state=State.STATE_MOMENTARY, attributes={"code": "RP"})
    set_timestamp(event.occurred_at, sent)
    return event


async def test_panic_tests_fire_transmissions_and_false_alarms(tmp_path):
    from simulators.campus.history import _false_alarm
    async with running_hub(report_settings(tmp_path, devices=[*DEVICES, *PANICS])) as hub:
        now = time.time()
        await hub.submit(panic_test_event("pb-1", now - 1), "synth")     # in time
        await hub.submit(panic_test_event("pb-2", now - 60), "synth")    # 60 s on the way: late
        await hub.submit(panic_test_event("fp-1", now - 2), "synth")     # one of the two a month
        for n in range(6):
            await hub.submit(_false_alarm(DEVICES[1], now, n), "alarms")  # cam-1: six false alarms today
        await hub.reports.wait_applied(hub.journal.head)
        async with client(hub) as caller:
            report = await caller.report_call("GetComplianceReport")
        results = {t.device_id: t for t in report.panic_tests}
        assert results["pb-1"].passed and results["pb-1"].last_delay_seconds < 10
        assert not results["pb-2"].passed and "late" in results["pb-2"].reason
        assert not results["pb-3"].passed and "no test within the period" in results["pb-3"].reason
        assert [t.device_id for t in report.panic_tests][:2] == ["pb-2", "pb-3"]  # missed first
        assert (report.panic_devices, report.panic_passed) == (3, 1)
        assert report.panic_intact_rate == pytest.approx(1 / 3)
        [fire] = report.fire_tests
        assert (fire.device_id, fire.transmissions, fire.required, fire.passed) == ("fp-1", 1, 2, False)
        [day] = report.false_alarm_days
        assert (day.device_id, day.false_alarms) == ("cam-1", 6)


async def test_device_classes_follow_kind_and_config_overrides(tmp_path):
    classes = DeviceClasses(kinds={"ups": "other"}, devices={"cam-1": "access"})
    assert classes.of("cam-9", "camera") == "video" and classes.of("ups-1", "ups") == "other"
    assert classes.of("cam-1", "camera") == "access" and classes.of("x", "toaster") == "other"
    with pytest.raises(ValueError):
        DeviceClasses(kinds={"camera": "cctv"})
    settings = report_settings(tmp_path)
    settings.reports = ReportSettings(classes=classes, retention=None)
    async with running_hub(settings) as hub:
        async with client(hub) as caller:
            report = await caller.report_call("GetConnectivityReport", levels=[pb.REPORT_LEVEL_SCHOOL])
        classes_of_a = {row.device_class for row in report.rows if row.code == "sch-a"}
        assert classes_of_a == {"all", "fire", "access"}


def test_the_config_section_builds_the_settings():
    import hub.config
    config = hub.config.load_text(
        "hub: {id: t}\nsites: [{school_id: s1, region_code: '140802', name: 一中}]\n"
        "reports:\n  device_classes: {intercom: access}\n  devices: {d1: video}\n"
        "  region_names: {'140800': 运城市}\n  panic_test: {period: 12h, max_delay: 5s}\n",
        "hub.yaml", env={})
    from hub.cli.runtime import settings_from_config
    settings = settings_from_config(config)
    reports = settings.reports
    assert reports.classes.of("x", "intercom") == "access" and reports.classes.of("d1", "camera") == "video"
    assert reports.region_names == {"1408": "运城市"} and reports.school_names == {"s1": "一中"}
    assert (reports.panic_test_period, reports.panic_test_max_delay) == (43200, 5)
    assert settings.ledger is not None and settings.ledger.photo_dir.endswith("ledger-photos")
    with pytest.raises(hub.config.ConfigError) as error:
        hub.config.load_text("hub: {id: t}\nreports: {devices: {d1: cctv}}\n", "hub.yaml", env={})
    assert "cctv" in str(error.value.problems[0])
