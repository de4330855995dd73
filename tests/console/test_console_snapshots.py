"""Snapshots linkage attached to an alarm, in its detail page: served only through an alarm the
operator may open, only the pictures attached to it."""
from __future__ import annotations

import asyncio
import re
import time

import pytest

from hub.linkage._journaled import action_event
from tests.console.conftest import Http, browser_available, console_hub
from tests.console.test_console_http import panic, settled
from tests.ledger.conftest import png

ALARM = "pb-1/panic.alarm/gate"


async def _attach(hub, alarm_id: str, picture: bytes, camera: str = "cam-1") -> str:
    item = await asyncio.to_thread(hub.media.put, picture, device_id=camera, taken_at=time.time(),
                                   site={"region_code": "140802", "school_id": "sch-a"})
    await hub.submit(action_event("done", camera, {"alarm_id": alarm_id, "action": "snapshot"},
                                  [("snapshot", item.uri, item.mime_type)]), "linkage")
    for _ in range(300):
        if any(ref.uri == item.uri for ref in hub.alarms.media.get(alarm_id, ())):
            return item.sha256
        await asyncio.sleep(0.02)
    raise AssertionError("the snapshot was not attached")


async def test_an_alarm_shows_its_snapshots_and_serves_only_those_in_scope(tmp_path):
    async with console_hub(tmp_path) as (hub, console):
        await hub.submit(panic("pb-1"), "synth")
        await hub.submit(panic("far-1"), "synth")
        await settled(hub)
        sha = await _attach(hub, ALARM, png(4, 3))
        other = await _attach(hub, "far-1/panic.alarm", png(5, 5), camera="far-1")
        client = Http(console.port)
        await client.login("yanhu")
        status, _, page = await client.request("GET", f"/alarm?id={ALARM}")
        assert status == 200
        section = page[page.index('id="snapshots"'):]
        assert re.findall(r'<img src="([^"]+)"', section[:section.index("</div>")]) == [
            f"/alarm/snapshot?id=pb-1/panic.alarm/gate&amp;sha={sha}"]
        status, headers, body = await client.request("GET", f"/alarm/snapshot?id={ALARM}&sha={sha}")
        assert status == 200 and headers["Content-Type"] == "image/png" and body.startswith("\ufffdPNG")
        # Another alarm's picture through this alarm, a Beijing alarm's at all, a made-up sha: 404.
        for path in (f"/alarm/snapshot?id={ALARM}&sha={other}", f"/alarm/snapshot?id=far-1/panic.alarm&sha={other}",
                     f"/alarm/snapshot?id={ALARM}&sha={'0' * 64}", f"/alarm/snapshot?id={ALARM}&sha=../../journal.db"):
            assert (await client.request("GET", path))[0] == 404, path
        assert (await Http(console.port).request("GET", f"/alarm/snapshot?id={ALARM}&sha={sha}"))[0] == 303


@browser_available
@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_the_snapshot_shows_in_the_browser(tmp_path, browsers):
    async with console_hub(tmp_path) as (hub, console):
        await hub.submit(panic("pb-1"), "synth")
        await settled(hub)
        await _attach(hub, ALARM, png(64, 48))
        duty = await browsers(console)
        await duty.login("yanhu")
        await duty.wait(lambda d: d.current_url.endswith("/alarms"), what="the queue")
        await duty.get(f"/alarm?id={ALARM}")
        await duty.wait(lambda d: d.execute_script(
            "var i = document.querySelector('#snapshots img'); return i && i.complete && i.naturalWidth === 64"),
            what="the snapshot loaded")
        await duty.shot("13-alarm-snapshot")
        assert not duty.console_errors(), duty.console_errors()
