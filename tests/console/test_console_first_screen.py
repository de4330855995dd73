"""The queue page comes with its first screen of rows; the rest follows when scrolled to, and a
live refresh keeps as many rows as the page shows."""
from __future__ import annotations

import re

import pytest

from hub.console._views import FIRST_SCREEN
from hub.events import Site
from hub.spi import DeviceSpec
from tests.console.conftest import Http, browser_available, console_hub
from tests.console.test_console_http import panic, settled

MANY = FIRST_SCREEN + 25
EXTRA = [DeviceSpec(id=f"pb-x{i:03d}", kind="panic_button", adapter="synth",
                    site=Site(region_code="140802", school_id="sch-a")) for i in range(MANY)]


async def _many(hub):
    for spec in EXTRA:
        await hub.submit(panic(spec.id), "synth")
    await settled(hub)
    while sum(1 for a in hub.alarms.table.values() if a.device.startswith("pb-x")) < MANY:
        await settled(hub)


def _count(page: str) -> int:
    return len(re.findall(r'<tr class="alarm ', page))


async def test_the_page_has_its_first_screen_and_the_rest_is_one_request_away(tmp_path):
    async with console_hub(tmp_path, extra_devices=EXTRA) as (hub, console):
        await _many(hub)
        client = Http(console.port)
        await client.login("yanhu")
        _, _, page = await client.request("GET", "/alarms?f=all")
        assert _count(page) == FIRST_SCREEN and 'id="later"' in page and f"n={FIRST_SCREEN}" in page
        _, _, rows = await client.request("GET", "/alarms/rows?f=all", headers={"HX-Request": "true"})
        assert _count(rows) == MANY and 'id="later"' not in rows and "n=2000" in rows
        # (a live refresh of a page still at its first screen stays at it)
        _, _, rows = await client.request("GET", f"/alarms/rows?f=all&n={FIRST_SCREEN}")
        assert _count(rows) == FIRST_SCREEN
        for bad in ("%C2%B9", "-1", "x", "99999999"):  # ('¹' is no digit to int())
            status, _, rows = await client.request("GET", "/alarms/rows?f=all&n=" + bad)
            assert status == 200 and _count(rows) == MANY, bad


@browser_available
@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_scrolling_down_brings_the_rest(tmp_path, browsers):
    async with console_hub(tmp_path, extra_devices=EXTRA) as (hub, console):
        await _many(hub)
        duty = await browsers(console)
        await duty.login("yanhu")
        await duty.get("/alarms?f=all")
        assert len(await duty.css("tr.alarm")) == FIRST_SCREEN
        await duty.run(lambda: duty.driver.execute_script("document.getElementById('later').scrollIntoView()"))
        await duty.wait(lambda d: len(d.find_elements("css selector", "tr.alarm")) == MANY, what="the rest of the rows")
        assert not duty.console_errors(), duty.console_errors()
