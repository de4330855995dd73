"""The console in a real browser: Debian's headless Chromium driven by Selenium through its
chromium-driver. Each test screenshots the pages it sees into artifacts/console/ (gitignored)."""
from __future__ import annotations

import asyncio
import time

import pytest

from hub.events import DeviceState
from simulators.sia import SiaTransmitter
from tests.console.conftest import browser_available, console_hub
from tests.console.test_console_http import panic, settled

pytestmark = [browser_available, pytest.mark.slow, pytest.mark.timeout(180)]
PANEL_ALARM = "panel-1/panic.alarm/gate"


def row(alarm_id: str) -> str:
    return f'tr.alarm[data-id="{alarm_id}"]'


async def test_a_sia_panic_appears_live_a_stale_ack_is_refused_and_an_ack_shows_in_a_second_session(
        tmp_path, browsers):
    async with console_hub(tmp_path, sia=True) as (hub, console):
        adapter = hub.adapter("sia-main")
        await asyncio.wait_for(adapter.ready.wait(), 10)
        duty, chief = await browsers(console), await browsers(console)
        await duty.get("/login")
        await duty.shot("01-login")
        await duty.login("yanhu")
        await duty.wait(lambda d: d.current_url.endswith("/alarms"), what="the queue after login")
        await chief.login("yuncheng")
        await chief.get("/alarms?f=all")
        await duty.wait(lambda d: d.execute_script("return document.querySelector('#live') && "
                                                   "document.querySelector('#live')['htmx-internal-data'] && 1"),
                        what="the page's htmx")

        host, port = adapter.tcp_address
        tx = await SiaTransmitter.start(host, port, account="1234", transport="tcp", ack_timeout_s=2.0)
        try:
            sent = time.monotonic()
            assert (await tx.send_sia("PA", 1, area=1)).outcome == "ACK"
            await duty.wait(lambda d: d.find_elements("css selector", row(PANEL_ALARM)), timeout=10,
                            what="the panic in the duty desk's queue")
            print(f"panic frame -> row in the browser: {time.monotonic() - sent:.3f} s")
        finally:
            await tx.stop()

        await chief.wait(lambda d: d.find_elements("css selector", row(PANEL_ALARM)), what="the panic at the city")
        await settled(hub)
        seen = hub.alarms.get(PANEL_ALARM).revision
        await duty.shot("02-queue-with-panic")

        # The chief comments; the duty desk's page still holding the revision before it, its
        # acknowledgement is refused and says what changed.
        await chief.get(f"/alarm?id={PANEL_ALARM}")
        await chief.run(lambda: chief.driver.find_element("id", "comment").send_keys("<b>已通知</b> 派出所"))
        await chief.run(lambda: chief.driver.find_element("css selector", "#comment-form button").click())
        await chief.wait(lambda d: "已添加备注" in d.find_element("id", "flash").text, what="the comment done")
        await chief.wait(lambda d: "<b>已通知</b> 派出所" in d.find_element("id", "activity").text,
                         what="the comment in the activity log (as text)")
        await chief.shot("03-alarm-detail")
        await duty.get(f"/alarm?id={PANEL_ALARM}")
        await duty.run(lambda: duty.driver.execute_script(
            "document.querySelector('#ack-form input[name=revision]').value = arguments[0];", str(seen)))
        await duty.run(lambda: duty.driver.find_element("id", "ack-button").click())
        await duty.wait(lambda d: "已变化" in d.find_element("id", "flash").text, what="the stale refusal")
        flash = await duty.text("#flash")
        assert f"您看到版本 {seen}" in flash and "operator:yuncheng" in flash
        assert not hub.alarms.get(PANEL_ALARM).acknowledged
        await duty.shot("04-stale-acknowledge-refused")

        # Acknowledged from the queue by keyboard (j selects, a acknowledges); the city's open queue
        # shows it without a reload.
        await chief.get("/alarms?f=all")
        await chief.wait(lambda d: "s-latched_unacknowledged" in d.find_element(
            "css selector", row(PANEL_ALARM)).get_attribute("class") or "s-unacknowledged" in d.find_element(
            "css selector", row(PANEL_ALARM)).get_attribute("class"), what="the city's queue")
        await duty.get("/alarms")
        await duty.wait(lambda d: d.find_elements("css selector", row(PANEL_ALARM)), what="the queue")
        await duty.run(lambda: duty.driver.find_element("css selector", "body").send_keys("j"))
        await duty.run(lambda: duty.driver.find_element("css selector", "body").send_keys("a"))
        await duty.wait(lambda d: "已确认" in d.find_element("id", "flash").text, what="acknowledged")
        await chief.wait(lambda d: "unacknowledged" not in d.find_element(
            "css selector", row(PANEL_ALARM)).get_attribute("class"), what="the acknowledgement in the second session")
        assert hub.alarms.get(PANEL_ALARM).last_actor == "operator:yanhu"
        await duty.wait(lambda d: not d.find_elements("css selector", row(PANEL_ALARM)),
                        what="the alarm leaving the duty desk's needs-action queue")
        await chief.shot("05-queue-all-after-ack")
        # (the browser logs the refused acknowledgement's 409; nothing else)
        assert [e for e in duty.console_errors() if "409 (Conflict)" not in e] == [] and not chief.console_errors()


async def test_a_live_queue_follows_changes_it_did_not_make_and_survives_a_dropped_connection(tmp_path, browsers):
    async with console_hub(tmp_path) as (hub, console):
        duty = await browsers(console)
        await duty.login("yanhu")
        await duty.wait(lambda d: d.current_url.endswith("/alarms"), what="the queue")
        await duty.wait(lambda d: d.execute_script("return !!document.querySelector('#live')['htmx-internal-data']"
                                                   ".sseEventSource && document.querySelector('#live')"
                                                   "['htmx-internal-data'].sseEventSource.readyState === 1"),
                        what="the live connection")
        await hub.submit(panic("pb-1"), "synth")
        await duty.wait(lambda d: d.find_elements("css selector", row("pb-1/panic.alarm/gate")), what="pb-1")
        # The hub drops every live connection; meanwhile another panic: the browser reconnects with
        # Last-Event-ID and the queue shows it.
        await console.app.close_streams()
        await hub.submit(panic("fp-1"), "synth")
        await duty.wait(lambda d: d.find_elements("css selector", row("fp-1/panic.alarm")), timeout=15,
                        what="the panic sent while the connection was down")
        await duty.shot("06-queue-after-reconnect")
        # j selects the first row, Enter opens it.
        await duty.run(lambda: duty.driver.find_element("css selector", "body").send_keys("j"))
        await duty.run(lambda: duty.driver.find_element("css selector", "body").send_keys("\ue007"))
        await duty.wait(lambda d: "/alarm?id=" in d.current_url, what="the alarm opened by keyboard")
        # (htmx logs the dropped connection; nothing else is wrong)
        assert [e for e in duty.console_errors() if "htmx.min.js" not in e] == []


async def test_devices_floor_plan_reports_and_english_pages_render_without_csp_errors(tmp_path, browsers):
    async with console_hub(tmp_path, reports=True) as (hub, console):
        hub.device_states.report("synth", "fp-1", DeviceState.DEVICE_STATE_ONLINE, "polled")
        hub.device_states.report("synth", "cam-1", DeviceState.DEVICE_STATE_OFFLINE, "<i>no answer</i> to GetStatus")
        hub.device_states.report("synth", "panel-1", DeviceState.DEVICE_STATE_ONLINE, "heartbeat")
        await hub.submit(panic("panel-1"), "synth")
        await settled(hub)
        duty = await browsers(console)
        await duty.login("yanhu")
        await duty.wait(lambda d: d.current_url.endswith("/alarms"), what="the queue")
        await duty.get("/devices?school=sch-a")
        await duty.wait(lambda d: d.find_elements("css selector", "svg.strip"), what="history strips")
        await duty.shot("07-devices")
        await duty.get("/device?id=panel-1")
        await duty.wait(lambda d: "一键报警 <script>x</script>" in d.find_element("css selector", "h1").text,
                        what="the device name shown as text")
        await duty.shot("08-device")
        await duty.get("/plan?school=sch-a&building=A")
        await duty.wait(lambda d: d.find_elements("css selector", "path.marker.flash"), what="the flashing marker")
        assert len(await duty.css("path.marker")) == 3
        await duty.shot("09-floor-plan")
        await duty.get("/reports")
        await duty.wait(lambda d: d.find_elements("css selector", "#children tr[data-place] a"), what="the dashboard")
        await duty.run(lambda: duty.driver.find_element("css selector", '#children tr[data-place="school:sch-a"] a').click())
        await duty.wait(lambda d: d.find_elements("css selector", '#offline tr[data-device="cam-1"]'),
                        what="the school's offline devices after drilling down")
        await duty.shot("11-reports-school")
        await duty.get("/reports?at=county:140802")
        await duty.shot("12-reports-county")
        await duty.get("/lang?to=en&next=/alarms?f=all")
        await duty.wait(lambda d: "Needs action" in d.page_source, what="English")
        await duty.shot("10-queue-english")
        assert not duty.console_errors(), duty.console_errors()
