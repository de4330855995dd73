"""The console over plain HTTP: sessions, CSRF, scope, escaping, bad input. (The browser tests
are in test_console_browser.py.)"""
from __future__ import annotations

import asyncio

from hub.events import Category, Severity, State, new_event
from tests.console.conftest import Http


def panic(device="pb-1"):
    return new_event(device_id=device, type="panic.alarm", category=Category.CATEGORY_PANIC,
                     severity=Severity.SEVERITY_CRITICAL, state=State.STATE_MOMENTARY)


def message(page: str) -> str:
    return page[page.index('<div class="message"'):page.index("</main>")]


async def settled(hub):
    """Until every alarm decided so far is in the table (its change journaled and read back)."""
    for _ in range(500):
        decided = hub.alarms.tables.decided
        if all(hub.alarms.table.get(id_) == alarm for id_, alarm in decided.items()) and decided:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the alarm table did not settle")


async def test_login_sets_an_httponly_samesite_session_and_pages_carry_a_strict_csp(hub_and_console):
    hub, console = hub_and_console
    client = Http(console.port)
    status, headers, _ = await client.login("yanhu")
    assert status == 303 and headers["Location"] == "/alarms"
    cookie = next(h for h in headers.get_all("Set-Cookie") if h.startswith("campushub_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    status, headers, page = await client.request("GET", "/alarms")
    assert status == 200 and "盐湖区值班员" in page
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "<script>" not in page.replace('<script src=', '')  # no inline script at all


async def test_a_wrong_password_and_an_unknown_name_get_the_same_answer_and_are_rate_limited(hub_and_console):
    hub, console = hub_and_console
    client = Http(console.port)
    wrong = await client.login("yanhu", "not-the-password")
    unknown = await client.login("nobody-here", "not-the-password")
    assert wrong[0] == unknown[0] == 401
    assert "用户名或密码错误" in wrong[2] and "用户名或密码错误" in unknown[2]
    for _ in range(3):
        await client.login("yanhu", "still-wrong")
    status, headers, page = await client.login("yanhu")  # the right password, but too many failures
    assert status == 429 and int(headers["Retry-After"]) > 0 and "秒后再试" in page
    assert "campushub_session" not in client.cookies
    assert hub.metrics.registry.get_sample_value("campushub_console_logins_total", {"outcome": "failed"}) == 5
    assert hub.metrics.registry.get_sample_value("campushub_console_logins_total", {"outcome": "throttled"}) == 1


async def test_requests_without_a_session_are_refused(hub_and_console):
    hub, console = hub_and_console
    await hub.submit(panic(), "synth")
    await settled(hub)
    alarm = hub.alarms.get("pb-1/panic.alarm/gate")
    anonymous = Http(console.port)
    status, headers, _ = await anonymous.request("GET", "/alarms")
    assert status == 303 and headers["Location"].startswith("/login?next=")
    assert (await anonymous.request("GET", "/alarms/rows", headers={"HX-Request": "true"}))[0] == 401
    assert (await anonymous.request("GET", "/events"))[0] == 401
    status, _, _ = await anonymous.request("POST", "/alarm/acknowledge",
                                           {"id": alarm.id, "revision": alarm.revision, "csrf": "guess"})
    assert status == 403
    assert hub.alarms.get(alarm.id).revision == alarm.revision


async def test_posts_without_the_sessions_csrf_token_are_refused_and_change_nothing(hub_and_console):
    hub, console = hub_and_console
    await hub.submit(panic(), "synth")
    await settled(hub)
    alarm = hub.alarms.get("pb-1/panic.alarm/gate")
    first, second = Http(console.port), Http(console.port)
    await first.login("yanhu")
    await second.login("yanhu")
    first_token = first.csrf_of((await first.request("GET", "/alarms"))[2])
    form = {"id": alarm.id, "revision": alarm.revision}
    assert (await first.request("POST", "/alarm/acknowledge", form))[0] == 403  # no token
    assert (await first.request("POST", "/alarm/acknowledge", {**form, "csrf": "forged" * 7}))[0] == 403
    assert (await second.request("POST", "/alarm/acknowledge", {**form, "csrf": first_token}))[0] == 403  # replayed
    assert (await first.request("POST", "/alarm/acknowledge", form, headers={
        "X-CSRF-Token": first_token, "Origin": "http://evil.example"}))[0] == 403
    assert hub.alarms.get(alarm.id).revision == alarm.revision
    # Logged out, the old token is worth nothing either.
    status, _, _ = await first.request("POST", "/logout", {"csrf": first_token})
    assert status == 303
    first.cookies["campushub_session"] = "stale"
    assert (await first.request("POST", "/alarm/acknowledge", {**form, "csrf": first_token}))[0] == 403
    assert hub.metrics.registry.get_sample_value("campushub_console_refused_total", {"reason": "csrf"}) == 4
    # With it, the same request is done.
    status, _, flash = await second.request("POST", "/alarm/acknowledge", form, headers={
        "X-CSRF-Token": second.csrf_of((await second.request("GET", "/alarms"))[2])})
    assert status == 200 and "已确认" in flash
    assert hub.alarms.get(alarm.id).acknowledged and hub.alarms.get(alarm.id).last_actor == "operator:yanhu"


async def test_an_operator_cannot_open_another_countys_alarm_device_or_school_by_url(hub_and_console):
    hub, console = hub_and_console
    await hub.submit(panic("far-1"), "synth")  # far-1 is in Beijing's Dongcheng (110101)
    await settled(hub)
    far = hub.alarms.get("far-1/panic.alarm")
    yanhu, beijing = Http(console.port), Http(console.port)
    await yanhu.login("yanhu")
    await beijing.login("beijing")
    assert (await beijing.request("GET", "/alarm?id=far-1/panic.alarm"))[0] == 200
    missing = await yanhu.request("GET", "/alarm?id=no-such/alarm")
    for path in ("/alarm?id=far-1/panic.alarm", "/alarm/panel?id=far-1/panic.alarm", "/device?id=far-1",
                 "/devices?school=sch-bj", "/devices/rows?school=sch-bj"):
        status, _, page = await yanhu.request("GET", path)
        assert status == 404 and message(page) == message(missing[2]), path  # as for what does not exist
    token = yanhu.csrf_of((await yanhu.request("GET", "/alarms"))[2])
    status, _, _ = await yanhu.request("POST", "/alarm/acknowledge", {"id": far.id, "revision": far.revision},
                                       headers={"X-CSRF-Token": token})
    assert status == 404 and not hub.alarms.get(far.id).acknowledged
    for which in ("all", "needs_action"):
        assert "far-1" not in (await yanhu.request("GET", f"/alarms?f={which}"))[2]


async def test_a_stale_action_is_refused_with_what_changed(hub_and_console):
    hub, console = hub_and_console
    await hub.submit(panic(), "synth")
    await settled(hub)
    seen = hub.alarms.get("pb-1/panic.alarm/gate").revision
    operator, supervisor = Http(console.port), Http(console.port)
    await operator.login("yanhu")
    await supervisor.login("yuncheng")
    token = supervisor.csrf_of((await supervisor.request("GET", "/alarms"))[2])
    status, _, _ = await supervisor.request("POST", "/alarm/assign", {
        "id": "pb-1/panic.alarm/gate", "revision": seen, "assignee": "王老师"}, headers={"X-CSRF-Token": token})
    assert status == 200
    token = operator.csrf_of((await operator.request("GET", "/alarms"))[2])
    for action in ("acknowledge", "comment"):
        status, _, flash = await operator.request("POST", f"/alarm/{action}", {
            "id": "pb-1/panic.alarm/gate", "revision": seen, "comment": "on my way"}, headers={"X-CSRF-Token": token})
        assert status == 409, action
        assert f"您看到版本 {seen}，现为版本 {seen + 1}" in flash and "operator:yuncheng" in flash
        assert "王老师" in flash
    alarm = hub.alarms.get("pb-1/panic.alarm/gate")
    assert not alarm.acknowledged and alarm.revision == seen + 1


async def test_html_in_comments_device_and_school_names_is_escaped_everywhere(hub_and_console):
    hub, console = hub_and_console
    await hub.submit(panic("panel-1"), "synth")  # panel-1's name is '一键报警 <script>x</script>'
    await hub.submit(panic("pb-1"), "synth")  # sch-b's name is '<b>Gate</b> School'
    await settled(hub)
    client = Http(console.port)
    await client.login("yanhu")
    token = client.csrf_of((await client.request("GET", "/alarms"))[2])
    evil = '<img src=x onerror="alert(1)"></textarea><script>alert(2)</script>'
    alarm = hub.alarms.get("pb-1/panic.alarm/gate")
    status, _, _ = await client.request("POST", "/alarm/comment", {
        "id": alarm.id, "revision": alarm.revision, "comment": evil}, headers={"X-CSRF-Token": token})
    assert status == 200
    pages = [(await client.request("GET", path))[2] for path in (
        "/alarms?f=all", "/alarm?id=pb-1/panic.alarm/gate", "/alarm?id=panel-1/panic.alarm/gate", "/devices?school=sch-a",
        "/devices?school=sch-b", "/device?id=panel-1", "/plan?school=sch-a&building=A")]
    for page in pages:
        assert "<script>x" not in page and "<img src=x" not in page and "<b>Gate" not in page
        assert "<script>alert" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in pages[1]
    assert "一键报警 &lt;script&gt;x&lt;/script&gt;" in pages[0]
    assert "&lt;b&gt;Gate&lt;/b&gt; School" in pages[0]
    assert "<\\/script>" in pages[6] or "\\u003c/script\\u003e" in pages[6]  # inside the plan's JSON


async def test_an_oversized_body_is_refused_without_being_kept(hub_and_console):
    hub, console = hub_and_console
    client = Http(console.port)
    await client.login("yanhu")
    token = client.csrf_of((await client.request("GET", "/alarms"))[2])
    status, _, _ = await client.request("POST", "/alarm/comment", body=b"comment=" + b"x" * 200_000, headers={
        "X-CSRF-Token": token, "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413
    assert hub.metrics.registry.get_sample_value("campushub_console_refused_total", {"reason": "too_large"}) == 1


async def test_a_viewer_may_look_but_not_acknowledge(hub_and_console):
    hub, console = hub_and_console
    await hub.submit(panic(), "synth")
    await settled(hub)
    alarm = hub.alarms.get("pb-1/panic.alarm/gate")
    viewer = Http(console.port)
    await viewer.login("watcher")
    page = (await viewer.request("GET", "/alarms"))[2]
    assert alarm.id in page and 'class="ack"' not in page
    status, _, flash = await viewer.request("POST", "/alarm/acknowledge", {"id": alarm.id, "revision": alarm.revision},
                                            headers={"X-CSRF-Token": viewer.csrf_of(page)})
    assert status == 403 and "角色" in flash and not hub.alarms.get(alarm.id).acknowledged


async def test_english_on_a_switch_and_times_shown_with_the_hubs_zone(hub_and_console):
    hub, console = hub_and_console
    await hub.submit(panic(), "synth")
    await settled(hub)
    client = Http(console.port)
    await client.login("yanhu")
    page = (await client.request("GET", "/alarms"))[2]
    assert "待处理" in page and "Asia/Shanghai (UTC+08:00)" in page and " CST</time>" in page
    status, headers, _ = await client.request("GET", "/lang?to=en&next=/alarms")
    assert status == 303 and headers["Location"] == "/alarms"
    assert "Needs action" in (await client.request("GET", "/alarms"))[2]
    assert (await client.request("GET", "/lang?to=en&next=//evil.example/"))[1]["Location"] == "/alarms"


def sse_events(port: int, cookies: dict, after: str = "", last_event_id: str = "", count: int = 1,
               timeout: float = 10.0, query: str = "") -> list[tuple[str, str, dict]]:
    """Read ``count`` events (id, event, data) of /events (``query``: more of its query, as
    ``&alarm=...``), then drop the connection."""
    import http.client
    import json

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "Accept": "text/event-stream"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    connection.request("GET", f"/events?after={after}{query}", headers=headers)
    response = connection.getresponse()
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    events, fields = [], {}
    try:
        while len(events) < count:
            raw = response.fp.readline()
            if not raw:
                break  # the hub closed the stream
            line = raw.decode().rstrip("\r\n")
            if line == "":
                if "event" in fields:
                    events.append((fields.get("id", ""), fields["event"], json.loads(fields["data"])))
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
    finally:
        connection.close()
    return events


async def test_the_live_stream_resumes_after_last_event_id_and_misses_nothing(hub_and_console):
    hub, console = hub_and_console
    client = Http(console.port)
    await client.login("yanhu")
    start = hub.journal.head
    await hub.submit(panic("pb-1"), "synth")
    await hub.submit(panic("far-1"), "synth")  # outside the scope: never sent
    await hub.submit(panic("fp-1"), "synth")
    await settled(hub)
    first = await asyncio.to_thread(sse_events, console.port, client.cookies, str(start), "", 1)
    assert [(e, d["id"]) for _, e, d in first] == [("alarm", "pb-1/panic.alarm/gate")]
    # Dropped after the first; more happens; the reconnect with Last-Event-ID gets exactly the rest.
    alarm = hub.alarms.get("pb-1/panic.alarm/gate")
    await hub.alarms.command(alarm.id, __import__("hub.alarms", fromlist=["Comment"]).Comment("later"), "test")
    rest = await asyncio.to_thread(sse_events, console.port, client.cookies, str(start), first[0][0], 2)
    assert [(d["id"], d["change"]) for _, _, d in rest] == [("fp-1/panic.alarm", "raised"),
                                                          ("pb-1/panic.alarm/gate", "commented")]
    assert int(first[0][0]) < int(rest[0][0]) < int(rest[1][0])
    # A position the journal no longer has (or never had) tells the page to start over.
    ahead = await asyncio.to_thread(sse_events, console.port, client.cookies, str(hub.journal.head + 100), "", 1)
    assert ahead[0][1] == "reset"


async def test_shelve_and_close_move_an_alarm_between_the_filters(hub_and_console):
    hub, console = hub_and_console
    await hub.submit(panic(), "synth")
    await settled(hub)
    alarm_id = "pb-1/panic.alarm/gate"
    chief = Http(console.port)
    await chief.login("yuncheng")
    token = chief.csrf_of((await chief.request("GET", "/alarms"))[2])

    async def act(action: str, **form):
        revision = hub.alarms.get(alarm_id).revision
        return await chief.request("POST", f"/alarm/{action}", {"id": alarm_id, "revision": revision, **form},
                                   headers={"X-CSRF-Token": token})

    def listed(which: str, page: str) -> bool:
        return f'data-id="{alarm_id}"' in page

    assert listed("needs_action", (await chief.request("GET", "/alarms?f=needs_action"))[2])
    assert (await act("shelve", duration="900"))[0] == 200
    assert not listed("", (await chief.request("GET", "/alarms?f=needs_action"))[2])
    assert listed("", (await chief.request("GET", "/alarms?f=shelved"))[2])
    assert (await act("shelve", duration="12345"))[0] == 422  # not one of the offered durations
    assert (await act("unshelve"))[0] == 200
    status, _, flash = await act("close", disposition="false")
    assert status == 409 and "未执行" in flash  # latched and unacknowledged: not over yet
    assert (await act("acknowledge"))[0] == 200
    assert (await act("close", disposition="false"))[0] == 200
    alarm = hub.alarms.get(alarm_id)
    assert alarm.closed and alarm.disposition.value == "false" and alarm.last_actor == "operator:yuncheng"
    assert not listed("", (await chief.request("GET", "/alarms?f=all"))[2])


async def test_escalated_to_me_shows_alarms_escalated_to_the_desks_level(hub_and_console):
    from hub.alarms import Escalate

    hub, console = hub_and_console
    await hub.submit(panic(), "synth")
    await settled(hub)
    county, city = Http(console.port), Http(console.port)
    await county.login("yanhu")  # 140802: the county desk
    await city.login("yuncheng")  # 1408: the city desk
    assert 'data-id="pb-1' not in (await county.request("GET", "/alarms?f=escalated"))[2]
    await hub.alarms.command("pb-1/panic.alarm/gate", Escalate(1), "hub")
    assert 'data-id="pb-1' in (await county.request("GET", "/alarms?f=escalated"))[2]
    assert 'data-id="pb-1' not in (await city.request("GET", "/alarms?f=escalated"))[2]
    await hub.alarms.command("pb-1/panic.alarm/gate", Escalate(2), "hub")
    page = (await city.request("GET", "/alarms?f=escalated"))[2]
    assert 'data-id="pb-1' in page and "市" in page


async def test_a_live_stream_ends_when_its_session_is_logged_out(hub_and_console):
    hub, console = hub_and_console
    client = Http(console.port)
    await client.login("yanhu")
    token = client.csrf_of((await client.request("GET", "/alarms"))[2])
    reading = asyncio.ensure_future(asyncio.to_thread(sse_events, console.port, dict(client.cookies), "", "", 1))
    while not console.app.streams:
        await asyncio.sleep(0.01)
    await client.request("POST", "/logout", {"csrf": token})
    for _ in range(500):
        if not console.app.streams:
            break
        await asyncio.sleep(0.01)
    assert not console.app.streams
    await asyncio.wait([reading], timeout=10)
    assert reading.done()  # (the stream closed without an event: the reader saw its end)
