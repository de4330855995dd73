"""The 联网率 dashboard over HTTP: the figures of the report service for the operator's scope,
drill-down, the offline list, and a place outside the scope answering 404."""
from __future__ import annotations

import asyncio
import re
import urllib.parse

from hub.events import DeviceState
from tests.console.conftest import Http, console_hub


async def _reported(hub, *states):
    for device, state in states:
        hub.device_states.report("synth", device, state, "test")
    for _ in range(300):
        if all(hub.reports.facts.tracks.get(d) is not None and hub.reports.facts.tracks[d].is_online(
                hub.reports.clock()) == (s == DeviceState.DEVICE_STATE_ONLINE) for d, s in states):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the report facts did not follow")


def _rows(page: str, table: str) -> list[str]:
    body = page[page.index(f'id="{table}"'):]
    body = body[:body.index("</table>")]
    return re.findall(r"<tr[^>]*>.*?</tr>", body, re.S)[1:]


async def test_a_county_desk_sees_its_county_and_drills_down_to_a_school_with_its_offline_devices(tmp_path):
    async with console_hub(tmp_path, reports=True) as (hub, console):
        await _reported(hub, ("fp-1", DeviceState.DEVICE_STATE_ONLINE), ("cam-1", DeviceState.DEVICE_STATE_OFFLINE),
                        ("pb-1", DeviceState.DEVICE_STATE_ONLINE), ("far-1", DeviceState.DEVICE_STATE_ONLINE))
        client = Http(console.port)
        await client.login("yanhu")
        status, _, page = await client.request("GET", "/reports")
        assert status == 200
        # The county desk starts at its county (山西省 › 运城市 › 盐湖区) and sees its two schools.
        crumbs = page[page.index('id="crumbs"'):]
        crumbs = crumbs[:crumbs.index("</nav>")]
        assert "山西省" in crumbs and "运城市" in crumbs and "<b>盐湖区</b>" in crumbs
        children = _rows(page, "children")
        assert [re.search(r'data-place="([^"]+)"', r).group(1) for r in children] == ["school:sch-b", "school:sch-a"] \
            or sorted(re.search(r'data-place="([^"]+)"', r).group(1) for r in children) == ["school:sch-a",
                                                                                          "school:sch-b"]
        # The county's own "all classes" row: panel-1 (never reported), fp-1, cam-1, pb-1 in the inventory.
        own = [r for r in _rows(page, "own") if 'data-class="all"' in r][0]
        cells = re.findall(r"<td>(\d+)</td>", own)
        assert cells[:3] == ["4", "2", "2"], own  # inventory, networked (24 h: cam-1 never was), online now
        assert "临猗" not in page and "东城" not in page and "far-1" not in page
        # Drill down to sch-a: cam-1 is offline; the breadcrumb links back to the county.
        status, _, page = await client.request("GET", "/reports?at=school:sch-a")
        assert status == 200 and 'href="/reports?at=county%3A140802' in page
        offline = _rows(page, "offline")
        # (panel-1 has not reported since the hub started: unknown counts as offline)
        assert sorted(re.search(r'data-device="([^"]+)"', r).group(1) for r in offline) == ["cam-1", "panel-1"]
        # The same figures as the report service computes for this scope.
        from hub.console._connectivity import window
        from hub.reports import connectivity
        start, end = window(hub.reports, 86400.0)
        rows = connectivity(hub.reports.facts, hub.reports.settings, start, end,
                            lambda t: t.region.startswith("140802"), ["school"])
        sch_a = next(r for r in rows if r.code == "sch-a" and r.device_class == "all")
        assert f"{sch_a.networked_rate * 100:.1f}%" in page


async def test_a_place_outside_the_scope_or_malformed_answers_not_found(tmp_path):
    async with console_hub(tmp_path, reports=True) as (hub, console):
        await _reported(hub, ("far-1", DeviceState.DEVICE_STATE_ONLINE), ("ups-9", DeviceState.DEVICE_STATE_ONLINE))
        client = Http(console.port)
        await client.login("yanhu")
        for place in ("county:140821", "school:sch-bj", "school:sch-c", "province:11", "county:１４０８０２",
                      "county:14080", "nowhere:1", "school:no-such"):
            status, _, page = await client.request("GET", "/reports?at=" + urllib.parse.quote(place))
            assert status == 404 and "没有此项" in page, place
        status, _, _ = await client.request("GET", "/reports/table?at=county:140821", headers={"HX-Request": "true"})
        assert status == 404
        # The city desk sees both of its counties, and the Beijing desk only Beijing.
        city = Http(console.port)
        await city.login("yuncheng")
        _, _, page = await city.request("GET", "/reports")
        assert "盐湖区" in page and "临猗县" in page and "110101" not in page
        beijing = Http(console.port)
        await beijing.login("beijing")
        _, _, page = await beijing.request("GET", "/reports")
        assert "110101" in page and "盐湖" not in page
        # Without a session: to the login.
        status, headers, _ = await Http(console.port).request("GET", "/reports")
        assert status == 303 and headers["Location"].startswith("/login")
