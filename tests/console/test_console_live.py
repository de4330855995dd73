"""Pages that follow one thing live: an alarm's detail page gets the snapshots linkage attaches
after the alarm was raised, a ledger entry's page its changes by anyone (another desk, the
ledger service, the hub itself). Over HTTP: the stream names the watched alarm's media and the
watched entry's changes, nothing of another one and nothing outside the scope; in the browser:
the page shows them without being reloaded."""
from __future__ import annotations

import asyncio
import urllib.parse

import pytest

from hub.ledger import Comment, Hazard, Move
from tests.console.conftest import Http, browser_available, console_hub
from tests.console.test_console_http import panic, settled, sse_events
from tests.console.test_console_snapshots import ALARM, _attach
from tests.ledger.conftest import png


def _watch(name: str, value: str) -> str:
    return f"&{name}={urllib.parse.quote(value, safe='')}"


async def _hazards(hub):
    here = await hub.ledger.register(Hazard(id="", grade="general", category="fire", region="140802",
                                            school="sch-a", description="灭火器过期"), "operator:setup")
    other = await hub.ledger.register(Hazard(id="", grade="general", category="video", region="140802",
                                             school="sch-a", description="另一条"), "operator:setup")
    far = await hub.ledger.register(Hazard(id="", grade="general", category="video", region="110101",
                                           school="sch-bj", description="北京的隐患"), "operator:setup")
    return here, other, far


async def test_the_stream_names_the_watched_alarms_snapshots_only(tmp_path):
    async with console_hub(tmp_path) as (hub, console):
        await hub.submit(panic("pb-1"), "synth")
        await hub.submit(panic("far-1"), "synth")
        await settled(hub)
        client = Http(console.port)
        await client.login("yanhu")
        start = str(hub.journal.head)
        await _attach(hub, "fp-1/other.alarm", png(3, 3))  # another alarm's picture: not this page's
        await _attach(hub, ALARM, png(4, 3))
        events = await asyncio.to_thread(sse_events, console.port, client.cookies, start, "", 1, 10.0,
                                         _watch("alarm", ALARM))
        assert [(event, data) for _, event, data in events] == [("media", {"alarm": ALARM, "kinds": ["snapshot"]})]
        assert int(events[0][0]) > int(start)  # (its id is the journal position: a reconnect resumes)
        # A Beijing alarm watched from 盐湖: its snapshot is never named; the next thing in scope comes first.
        start = str(hub.journal.head)
        await _attach(hub, "far-1/panic.alarm", png(5, 5), camera="far-1")
        await hub.submit(panic("fp-1"), "synth")
        events = await asyncio.to_thread(sse_events, console.port, client.cookies, start, "", 1, 10.0,
                                         _watch("alarm", "far-1/panic.alarm"))
        assert [(event, data["id"]) for _, event, data in events] == [("alarm", "fp-1/panic.alarm")]
        assert hub.metrics.registry.get_sample_value("campushub_console_refused_total",
                                                     {"reason": "out_of_scope"}) == 1


async def test_the_stream_names_the_watched_entrys_changes_only(tmp_path):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        here, other, far = await _hazards(hub)
        client = Http(console.port)
        await client.login("yanhu")
        start = str(hub.journal.head)
        await hub.ledger.command(other.id, Comment("别的隐患"), "operator:x")
        await hub.ledger.command(here.id, Comment("已通知物业"), "subscriber:police-yanhu")
        await hub.ledger.command(here.id, Move("rectifying", "", 2), "operator:x")
        await hub.ledger.compact()  # (nothing to compact: retention is far away)
        events = await asyncio.to_thread(sse_events, console.port, client.cookies, start, "", 2, 10.0,
                                         _watch("hazard", here.id))
        assert [(event, data) for _, event, data in events] == [
            ("hazard", {"id": here.id, "revision": 2, "state": "registered", "change": "commented"}),
            ("hazard", {"id": here.id, "revision": 3, "state": "rectifying", "change": "rectifying"})]
        # Another county's entry: nothing of it, however it changes.
        start = str(hub.journal.head)
        await hub.ledger.command(far.id, Comment("北京"), "operator:beijing")
        await hub.submit(panic("fp-1"), "synth")
        events = await asyncio.to_thread(sse_events, console.port, client.cookies, start, "", 1, 10.0,
                                         _watch("hazard", far.id))
        assert [event for _, event, _ in events] == ["alarm"]


@browser_available
@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_an_alarms_page_shows_a_snapshot_attached_after_it_was_opened(tmp_path, browsers):
    async with console_hub(tmp_path) as (hub, console):
        await hub.submit(panic("pb-1"), "synth")
        await settled(hub)
        duty = await browsers(console)
        await duty.login("yanhu")
        await duty.wait(lambda d: d.current_url.endswith("/alarms"), what="the queue")
        await duty.get(f"/alarm?id={ALARM}")
        await duty.wait(lambda d: "无抓图" in d.find_element("id", "snapshots").text, what="no snapshot yet")
        revision = hub.alarms.get(ALARM).revision
        await _attach(hub, ALARM, png(64, 48))
        await duty.wait(lambda d: d.execute_script(
            "var i = document.querySelector('#snapshots img'); return i && i.complete && i.naturalWidth === 64"),
            what="the snapshot, live")
        assert hub.alarms.get(ALARM).revision == revision  # (no alarm change brought it: the snapshot did)
        await _attach(hub, ALARM, png(32, 24))
        await duty.wait(lambda d: len(d.find_elements("css selector", "#snapshots img")) == 2,
                        what="the second snapshot, live")
        await duty.shot("16-alarm-snapshot-live")
        assert not duty.console_errors(), duty.console_errors()


@browser_available
@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_an_entrys_page_shows_changes_made_elsewhere(tmp_path, browsers):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        here, _, _ = await _hazards(hub)
        duty = await browsers(console)
        await duty.login("yanhu")
        await duty.wait(lambda d: d.current_url.endswith("/alarms"), what="the queue")
        await duty.get(f"/hazard?id={here.id}")
        await duty.wait(lambda d: d.find_elements("id", "move-rectifying"), what="the entry")
        # Another desk comments, through the ledger service's path: the history shows it.
        await hub.ledger.command(here.id, Comment("县局已电话督促"), "subscriber:edu-yuncheng")
        await duty.wait(lambda d: "县局已电话督促" in d.find_element("id", "hazard-history").text,
                        what="the comment, live")
        # A move elsewhere: the state, the revision and the buttons follow.
        await hub.ledger.command(here.id, Move("rectifying", "已报修", 2), "operator:yuncheng")
        await duty.wait(lambda d: "整改中" in d.find_element("id", "hazard-state").text, what="the move, live")
        assert await duty.text("#hazard-revision") == "3"
        assert not await duty.css("#move-rectifying") and await duty.css("#move-awaiting_acceptance")
        # A photo added elsewhere.
        await hub.ledger.add_photo(here.id, png(20, 10), "operator:yuncheng", "整改中照片")
        await duty.wait(lambda d: len(d.find_elements("css selector", "#photos img")) == 1, what="the photo, live")
        await duty.shot("17-hazard-live")
        assert not duty.console_errors(), duty.console_errors()
