"""Registering a hazard from the console (登记): the form offers the schools of the operator's
scope and the buildings the hub's devices name there; an entry goes through the ledger's own
register path (journaled, with the operator as actor); a 重大 entry needs its 五落实 plan; bad
input is refused field by field with nothing registered; role, scope and CSRF are checked on
the server."""
from __future__ import annotations

import datetime as dt
import re
import urllib.parse

import pytest
from hypothesis import given, settings, strategies as st

from tests.console.conftest import Http, browser_available, console_hub


def _days(console, days: int) -> str:
    return (console.app.time.day(__import__("time").time()) + dt.timedelta(days=days)).isoformat()


def _form(console, **fields) -> dict:
    values = dict(place="sch-a/A", location="3楼东侧楼梯", category="fire", grade="general",
                  description="消防通道堆放杂物", responsible="李主任", deadline=_days(console, 10))
    values.update(fields)
    return {name: value for name, value in values.items() if value is not None}


MAJOR_PLAN = dict(plan_measures="清理杂物，加装防火门", plan_funds="2万元", plan_people="李主任、后勤王老师",
                  plan_contingency="施工期间安排专人值守")


async def _login(console, name: str = "yanhu") -> tuple[Http, str]:
    client = Http(console.port)
    await client.login(name)
    _, _, page = await client.request("GET", "/ledger")
    return client, client.csrf_of(page)


async def test_the_form_offers_the_scopes_schools_and_their_buildings_to_those_who_may_register(tmp_path):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        client, _ = await _login(console)
        assert 'id="register-link"' in (await client.request("GET", "/ledger"))[2]
        status, _, page = await client.request("GET", "/hazard/new")
        assert status == 200
        assert re.findall(r'<option value="([^"]+)">', page[page.index('name="place"'):page.index("</select>")]) == [
            "sch-a", "sch-a/A", "sch-a/B", "sch-b"]  # (临猗 and 东城 are outside 盐湖's scope)
        assert "&lt;b&gt;Gate&lt;/b&gt; School" in page and "<b>Gate" not in page
        assert 'value="major"' in page and 'id="plan_contingency"' in page
        # In English too, problems included.
        await client.request("GET", "/lang?to=en&next=/hazard/new")
        page = (await client.request("GET", "/hazard/new"))[2]
        assert "Register a hazard" in page and "五落实 plan (required for 重大)" in page and ">fire</option>" in page
        status, _, flash = await client.request("POST", "/hazard/register", {"grade": "major", "place": "sch-a"},
                                                {"X-CSRF-Token": client.csrf_of(page)})
        assert status == 422 and "<li>Description: required</li>" in flash
        assert "<li>Contingency plan: required for a 重大 (major) hazard (五落实)</li>" in flash
        viewer, _ = await _login(console, "watcher")
        assert 'id="register-link"' not in (await viewer.request("GET", "/ledger"))[2]
        assert (await viewer.request("GET", "/hazard/new"))[0] == 403


async def test_an_operator_registers_an_entry_through_the_ledgers_journaled_path(tmp_path):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        client, csrf = await _login(console)
        status, headers, flash = await client.request("POST", "/hazard/register", _form(console),
                                                      {"X-CSRF-Token": csrf, "HX-Request": "true"})
        assert status == 200 and "已登记" in flash
        hazard_id = urllib.parse.unquote(headers["HX-Redirect"].removeprefix("/hazard?id="))
        hazard = hub.ledger.get(hazard_id)
        assert (hazard.school, hazard.region, hazard.location, hazard.grade, hazard.category, hazard.state) == (
            "sch-a", "140802", "A 3楼东侧楼梯", "general", "fire", "registered")
        assert hazard.last_actor == "operator:yanhu" and hazard.source == "inspection" and hazard.responsible == "李主任"
        assert hazard.deadline == console.app.time.end_of_day(dt.date.fromisoformat(_days(console, 10)))
        assert hazard.plan_measures == ""  # (a 一般 entry has no 五落实 plan)
        # Journaled like every ledger change: its history is read from the journal.
        assert [kind for _, kind, _ in await hub.ledger.history(hazard_id)] == ["registered"]
        status, _, page = await client.request("GET", headers["HX-Redirect"])
        assert status == 200 and "消防通道堆放杂物" in page
        # Without htmx (a plain form post): to the entry's page.
        status, headers, _ = await client.request("POST", "/hazard/register", {
            **_form(console, place="sch-b", deadline="", location="", description="门卫室监控无画面", category="video"),
            "csrf": csrf})
        assert status == 303 and headers["Location"].startswith("/hazard?id=HZ-")
        second = hub.ledger.get(urllib.parse.unquote(headers["Location"].removeprefix("/hazard?id=")))
        assert second.location == "" and second.deadline > hazard.registered_at  # (the ledger's default deadline)
        assert hub.metrics.registry.get_sample_value("campushub_console_actions_total",
                                                     {"action": "ledger_register", "outcome": "ok"}) == 2


async def test_a_major_entry_needs_its_five_part_plan(tmp_path):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        client, csrf = await _login(console)
        status, _, flash = await client.request("POST", "/hazard/register", _form(console, grade="major"),
                                                {"X-CSRF-Token": csrf})
        assert status == 422 and "未登记" in flash and not list(hub.ledger.entries())
        for label in ("整改措施", "整改资金", "责任人员", "整改时限", "应急预案"):
            assert f"<li>{label}: 重大隐患必填 (五落实)</li>" in flash, label
        status, _, flash = await client.request("POST", "/hazard/register", _form(
            console, grade="major", **{**MAJOR_PLAN, "plan_funds": "  "}, plan_deadline=_days(console, 30)),
            {"X-CSRF-Token": csrf})
        assert status == 422 and "<li>整改资金: 重大隐患必填 (五落实)</li>" in flash and flash.count("<li>") == 1
        status, headers, _ = await client.request("POST", "/hazard/register", _form(
            console, grade="major", **MAJOR_PLAN, plan_deadline=_days(console, 30)), {"X-CSRF-Token": csrf})
        assert status == 303
        hazard = next(iter(hub.ledger.entries()))
        assert (hazard.grade, hazard.plan_measures, hazard.plan_funds, hazard.plan_people, hazard.plan_contingency) == (
            "major", *MAJOR_PLAN.values())
        assert hazard.plan_deadline == console.app.time.end_of_day(dt.date.fromisoformat(_days(console, 30)))
        # The general form's plan fields are not kept for a 一般 entry.
        await client.request("POST", "/hazard/register", _form(console, **MAJOR_PLAN), {"X-CSRF-Token": csrf})
        assert sorted(h.plan_measures for h in hub.ledger.entries()) == ["", MAJOR_PLAN["plan_measures"]]


@pytest.mark.parametrize("fields, says", [
    ({"place": "sch-bj"}, "学校 / 楼栋: 请选择您管辖范围内的学校或楼栋"),  # another county's school
    ({"place": "sch-c/A"}, "学校 / 楼栋: 请选择您管辖范围内的学校或楼栋"),  # 临猗: the same city, not the county
    ({"place": "sch-a/Z"}, "学校 / 楼栋: 请选择您管辖范围内的学校或楼栋"),  # no such building
    ({"place": "sch-a/A/x"}, "学校 / 楼栋: 请选择您管辖范围内的学校或楼栋"),
    ({"place": "%ff%fe"}, "学校 / 楼栋: 请选择您管辖范围内的学校或楼栋"),
    ({"place": None}, "学校 / 楼栋: 请选择您管辖范围内的学校或楼栋"),
    ({"grade": "severe"}, "等级: 请选择 一般 或 重大"),
    ({"category": "<script>"}, "类别: 请选择列出的类别"),
    ({"description": "   "}, "描述: 必填"),
    ({"description": "x" * 4001}, "描述: 最多 4000 字"),
    ({"responsible": "x" * 201}, "责任人: 最多 200 字"),
    ({"deadline": "2000-01-01"}, "整改期限: 不能早于今天"),
    ({"deadline": "2026-13-01"}, "整改期限: 日期应为 年-月-日"),
    ({"deadline": "２０２６-01-01"}, "整改期限: 日期应为 年-月-日"),  # (fullwidth digits: isdigit, not ASCII)
    ({"deadline": "9999-12-31"}, "整改期限: 不能晚于"),
    ({"deadline": "12/31/2030"}, "整改期限: 日期应为 年-月-日"),
])
async def test_bad_input_is_refused_saying_which_field_and_registers_nothing(tmp_path, fields, says):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        client, csrf = await _login(console)
        status, _, flash = await client.request("POST", "/hazard/register", _form(console, **fields),
                                                {"X-CSRF-Token": csrf, "HX-Request": "true"})
        assert status == 422 and says in flash.replace("&lt;", "<"), flash
        assert not list(hub.ledger.entries()) and "<script>" not in flash
        assert hub.metrics.registry.get_sample_value("campushub_console_refused_total", {"reason": "bad_input"}) == 1


async def test_role_session_and_csrf_are_checked_on_the_server(tmp_path):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        client, csrf = await _login(console)
        assert (await client.request("POST", "/hazard/register", _form(console)))[0] == 403  # no token
        assert (await client.request("POST", "/hazard/register", _form(console), {"X-CSRF-Token": "forged"}))[0] == 403
        assert (await Http(console.port).request("POST", "/hazard/register", _form(console)))[0] == 403  # no session
        viewer, viewer_csrf = await _login(console, "watcher")
        status, _, flash = await viewer.request("POST", "/hazard/register", _form(console),
                                                {"X-CSRF-Token": viewer_csrf})
        assert status == 403 and "您的角色不能执行此操作" in flash
        assert not list(hub.ledger.entries())


@browser_available
@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_registering_a_major_hazard_in_the_browser(tmp_path, browsers):
    async with console_hub(tmp_path, ledger=True) as (hub, console):
        duty = await browsers(console)
        await duty.login("yanhu")
        await duty.wait(lambda d: d.current_url.endswith("/alarms"), what="the queue")
        await duty.get("/ledger")
        await duty.run(lambda: duty.driver.find_element("id", "register-link").click())
        await duty.wait(lambda d: d.find_elements("id", "register-form"), what="the form")
        assert not await duty.run(lambda: duty.driver.find_element("id", "plan-fields").is_displayed())

        def fill():
            from selenium.webdriver.support.ui import Select
            driver = duty.driver
            Select(driver.find_element("id", "place")).select_by_value("sch-a/B")
            Select(driver.find_element("id", "category")).select_by_value("building")
            driver.find_element("id", "grade-major").click()
            driver.find_element("id", "description").send_keys("教学楼 B 外墙瓷砖松动")
            driver.find_element("id", "location").send_keys("北侧外墙")
            driver.find_element("id", "register-button").click()
        await duty.run(fill)
        # 重大 shows the 五落实 fields; without them the server refuses, naming each.
        await duty.wait(lambda d: "应急预案" in d.find_element("id", "register-problems").text, what="the refusal")
        assert await duty.run(lambda: duty.driver.find_element("id", "plan-fields").is_displayed())
        assert "整改措施" in await duty.text("#register-problems") and not list(hub.ledger.entries())
        await duty.shot("18-register-refused")
        # (the browser logs the refusal's 422; nothing else)
        assert [e for e in await duty.run(duty.console_errors) if "status of 422" not in e] == []

        def fill_plan():
            driver = duty.driver
            for name, value in MAJOR_PLAN.items():
                driver.find_element("id", name).send_keys(value)
            # (a date input's typing order follows the browser's locale: set its value as the picker does)
            driver.execute_script("document.getElementById('plan_deadline').value = arguments[0];"
                                  "document.getElementById('deadline').value = arguments[0];", _days(console, 20))
            driver.find_element("id", "register-button").click()
        await duty.run(fill_plan)
        await duty.wait(lambda d: "/hazard?id=HZ-" in d.current_url, what="the new entry's page")
        await duty.wait(lambda d: d.find_elements("id", "hazard-state"), what="the entry")
        hazard = next(iter(hub.ledger.entries()))
        assert (hazard.grade, hazard.school, hazard.location, hazard.category) == ("major", "sch-a", "B 北侧外墙",
                                                                                   "building")
        assert hazard.plan_contingency == MAJOR_PLAN["plan_contingency"] and hazard.last_actor == "operator:yanhu"
        assert "施工期间安排专人值守" in await duty.text("main") and "登记" in await duty.text("#hazard-state")
        await duty.shot("19-registered")
        assert not duty.console_errors(), duty.console_errors()


_ZONE = __import__("hub.console._views", fromlist=["HubTime"]).HubTime("Asia/Shanghai")
_TODAY = dt.date(2026, 12, 4)
_OFFERED = __import__("hub.console._hazard_form", fromlist=["places"]).places(
    [("sch-a", "盐湖实验小学"), ("sch/b", "B")], {"sch-a": {"A", "楼 B"}})
_GOOD = dict(place=st.sampled_from([p.value for p in _OFFERED]), grade=st.sampled_from(["general", "major"]),
             category=st.sampled_from(["fire", "other"]), description=st.sampled_from(["x", "消防门堵塞"]),
             deadline=st.sampled_from(["", "2026-12-04", "2027-01-15"]),
             plan_deadline=st.sampled_from(["2026-12-04", "2027-01-15"]),
             **{name: st.sampled_from(["x", "五落实"]) for name in ("plan_measures", "plan_funds", "plan_people",
                                                                 "plan_contingency")})
_BAD = st.sampled_from(["", "  ", "\u3000", "2026-12-03", "2031-12-31", "2026-02-30", "sch-c", "sch-a/Z", "Major",
                        "２０２６-12-05"]) | st.text(max_size=12)


@st.composite
def _forms(draw) -> dict:
    """A valid form with up to three of its fields spoiled (the interesting ones are near valid)."""
    spoiled = draw(st.sets(st.sampled_from(sorted(_GOOD)), max_size=3))
    return {name: draw(_BAD if name in spoiled else good) for name, good in _GOOD.items()}


@given(_forms())
@settings(max_examples=400, deadline=None)
def test_what_the_form_accepts_the_ledger_registers(fields):
    """The form's checks imply the ledger's (its refusal is a safety net, never the usual answer)."""
    from types import SimpleNamespace

    from hub.console._hazard_form import read_form
    from hub.ledger import LedgerProjection, LedgerSettings

    filled = read_form(lambda name, limit: fields.get(name, "")[:limit], _OFFERED,
                       {"sch-a": "140802", "sch/b": "140802"}, LedgerSettings().categories, _ZONE.end_of_day,
                       _TODAY, _TODAY + dt.timedelta(days=5 * 366))
    now = _ZONE.end_of_day(_TODAY) - 12 * 3600
    if filled.hazard is None:
        assert filled.problems
    else:
        LedgerProjection.validate(SimpleNamespace(settings=LedgerSettings()), filled.hazard, now)  # (raises if refused)
        assert filled.hazard.school in ("sch-a", "sch/b")
