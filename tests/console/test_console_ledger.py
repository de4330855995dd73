"""The hazard ledger board over HTTP (and once in the browser): filters, an entry with its
history and photos, the moves the role allows through the ledger's journaled commands, a stale
move refused, CSRF, and an entry outside the scope answering 404."""
from __future__ import annotations

import re

import pytest

from hub.ledger import Hazard
from tests.console.conftest import Http, browser_available, console_hub
from tests.ledger.conftest import png


async def _entries(hub):
    a = await hub.ledger.register(Hazard(id="", grade="general", category="fire", region="140802", school="sch-a",
                                         description="消防门被 <b>堵塞</b>", location="A 栋 3F"),
                                  "operator:setup", photos=(png(6, 4),))
    far = await hub.ledger.register(Hazard(id="", grade="general", category="video", region="110101",
                                           school="sch-bj", description="北京的隐患"), "operator:setup")
    return a, far


def _ids(page: str) -> list[str]:
    return re.findall(r'<tr class="hz-[^"]*" data-id="([^"]+)"', page)


async def test_the_board_lists_the_scope_and_an_operator_moves_an_entry_through_the_ledger(tmp_path):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        a, far = await _entries(hub)
        client = Http(console.port)
        await client.login("yanhu")
        status, _, page = await client.request("GET", "/ledger")
        assert status == 200 and _ids(page) == [a.id] and "消防门被 &lt;b&gt;堵塞&lt;/b&gt;" in page
        assert _ids((await client.request("GET", "/ledger?state=closed"))[2]) == []
        assert _ids((await client.request("GET", "/ledger?state=registered&grade=general"))[2]) == [a.id]
        assert _ids((await client.request("GET", "/ledger?supervised=1"))[2]) == []
        # Another county's entry by URL: 404, as if it did not exist; its photo too.
        for path in (f"/hazard?id={far.id}", f"/hazard/photo?id={far.id}&photo=x", "/hazard?id=HZ-nothing"):
            assert (await client.request("GET", path))[0] == 404, path
        status, _, page = await client.request("GET", f"/hazard?id={a.id}")
        assert status == 200 and 'id="move-rectifying"' in page and 'id="move-closed"' not in page
        assert 'id="supervise-form"' not in page  # (an operator; and 挂牌督办 is a supervisor's)
        photo = re.search(r'<img src="([^"]+)"', page[page.index('id="photos"'):]).group(1).replace("&amp;", "&")
        status, headers, _ = await client.request("GET", photo)
        assert status == 200 and headers["Content-Type"] == "image/png"
        csrf = client.csrf_of(page)
        # Without the CSRF token: refused, nothing changed.
        status, _, _ = await client.request("POST", "/hazard/move", {"id": a.id, "to": "rectifying", "revision": "1"})
        assert status == 403 and hub.ledger.get(a.id).state == "registered"
        status, headers, flash = await client.request(
            "POST", "/hazard/move", {"id": a.id, "to": "rectifying", "revision": "1", "comment": "已报修"},
            {"X-CSRF-Token": csrf})
        assert status == 200 and "已转换状态" in flash and headers["HX-Trigger"] == "ledger-changed"
        moved = hub.ledger.get(a.id)
        assert moved.state == "rectifying" and moved.last_actor == "operator:yanhu" and moved.revision == 2
        # The journal has it, as every ledger change: the history lists it.
        assert [kind for _, kind, _ in await hub.ledger.history(a.id)] == ["registered", "rectifying"]
        # A move on the revision seen before: refused by the ledger, saying so.
        status, _, flash = await client.request(
            "POST", "/hazard/move", {"id": a.id, "to": "awaiting_acceptance", "revision": "1"}, {"X-CSRF-Token": csrf})
        assert status == 409 and "revision 2" in flash and hub.ledger.get(a.id).state == "rectifying"
        # An operator may not close (销号), nor move another county's entry.
        status, _, _ = await client.request("POST", "/hazard/move", {"id": a.id, "to": "closed", "revision": "2"},
                                            {"X-CSRF-Token": csrf})
        assert status == 403
        status, _, _ = await client.request("POST", "/hazard/comment", {"id": far.id, "comment": "x"},
                                            {"X-CSRF-Token": csrf})
        assert status == 404 and hub.ledger.get(far.id).revision == 1
        status, _, page = await client.request("GET", f"/hazard?id={a.id}")
        assert "已报修" in page[page.index('id="hazard-history"'):]


async def test_a_city_supervisor_supervises_and_closes_a_viewer_does_nothing(tmp_path):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        a, _ = await _entries(hub)
        chief = Http(console.port)
        await chief.login("yuncheng")
        _, _, page = await chief.request("GET", f"/hazard?id={a.id}")
        csrf = chief.csrf_of(page)
        status, _, _ = await chief.request("POST", "/hazard/supervise", {"id": a.id, "on": "1"}, {"X-CSRF-Token": csrf})
        assert status == 200 and hub.ledger.get(a.id).supervised_by == "yuncheng"
        assert _ids((await chief.request("GET", "/ledger?supervised=1"))[2]) == [a.id]
        for to, revision in (("awaiting_acceptance", 2), ("closed", 3)):
            status, _, _ = await chief.request("POST", "/hazard/move", {"id": a.id, "to": to, "revision": str(revision)},
                                               {"X-CSRF-Token": csrf})
            assert status == 200, to
        assert hub.ledger.get(a.id).state == "closed"
        viewer = Http(console.port)
        await viewer.login("watcher")
        _, _, page = await viewer.request("GET", f"/hazard?id={a.id}")
        assert "hazard-comment-form" not in page and "move-form" not in page
        status, _, _ = await viewer.request("POST", "/hazard/comment", {"id": a.id, "comment": "x"},
                                            {"X-CSRF-Token": viewer.csrf_of(page)})
        assert status == 403


@browser_available
@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_the_board_and_an_entry_in_the_browser(tmp_path, browsers):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        a, _ = await _entries(hub)
        duty = await browsers(console)
        await duty.login("yanhu")
        await duty.wait(lambda d: d.current_url.endswith("/alarms"), what="the queue")
        await duty.get("/ledger")
        await duty.wait(lambda d: d.find_elements("css selector", f'tr[data-id="{a.id}"]'), what="the board")
        await duty.shot("14-ledger")
        await duty.run(lambda: duty.driver.find_element("css selector", f'tr[data-id="{a.id}"] a').click())
        await duty.wait(lambda d: d.find_elements("id", "move-rectifying"), what="the entry")
        await duty.run(lambda: duty.driver.find_element("id", "move-rectifying").click())
        await duty.wait(lambda d: "整改中" in d.find_element("id", "hazard-state").text, what="the panel after the move")
        assert hub.ledger.get(a.id).state == "rectifying"
        picture = tmp_path / "after.png"
        picture.write_bytes(png(40, 30))
        await duty.run(lambda: duty.driver.find_element("id", "photo-file").send_keys(str(picture)))
        await duty.run(lambda: duty.driver.find_element("id", "photo-button").click())
        await duty.wait(lambda d: len(d.find_elements("css selector", "#photos img")) == 2, what="the uploaded photo")
        await duty.shot("15-hazard")
        assert not duty.console_errors(), duty.console_errors()


def _multipart(fields: dict[str, str], photo: bytes) -> tuple[bytes, dict]:
    boundary = "campushub-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.png"\r\n'
                 f"Content-Type: image/png\r\n\r\n".encode() + photo + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), {
        "Content-Type": f"multipart/form-data; boundary={boundary}"}


async def test_a_photo_upload_is_checked_stored_and_journaled_and_an_oversized_one_refused(tmp_path):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        a, far = await _entries(hub)
        client = Http(console.port)
        await client.login("yanhu")
        _, _, page = await client.request("GET", f"/hazard?id={a.id}")
        csrf = client.csrf_of(page)
        assert 'id="photo-form"' in page
        body, headers = _multipart({"id": a.id, "csrf": csrf, "comment": "整改后"}, png(9, 9))
        status, _, flash = await client.request("POST", "/hazard/photo", headers=headers, body=body)
        assert status == 200 and "已上传照片" in flash
        assert hub.ledger.get(a.id).photos.count(",") == 1 and hub.ledger.get(a.id).last_actor == "operator:yanhu"
        # Not an image: refused saying why; nothing journaled.
        body, headers = _multipart({"id": a.id, "csrf": csrf}, b"GIF89a not a photo")
        status, _, flash = await client.request("POST", "/hazard/photo", headers=headers, body=body)
        assert status == 422 and "neither a JPEG nor a PNG" in flash and hub.ledger.get(a.id).revision == 2
        # Larger than the ledger takes: 413 before anything is parsed or stored.
        body, headers = _multipart({"id": a.id, "csrf": csrf}, png() + b"\x00" * (1 << 20))
        status, _, _ = await client.request("POST", "/hazard/photo", headers=headers, body=body)
        assert status == 413 and hub.ledger.get(a.id).revision == 2
        # Another county's entry, and no CSRF token: refused.
        body, headers = _multipart({"id": far.id, "csrf": csrf}, png())
        assert (await client.request("POST", "/hazard/photo", headers=headers, body=body))[0] == 404
        body, headers = _multipart({"id": a.id}, png())
        assert (await client.request("POST", "/hazard/photo", headers=headers, body=body))[0] == 403
        # Elsewhere the small limit still holds.
        status, _, _ = await client.request("POST", "/hazard/comment", {"id": a.id, "comment": "x" * 70000},
                                            {"X-CSRF-Token": csrf})
        assert status == 413
