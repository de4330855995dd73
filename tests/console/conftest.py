"""A started hub with alarm classes, a SIA receiver and the console; operators in two counties;
an HTTP client (http.client in a thread: the hub serves on this test's reactor); a headless
Chromium (Debian's, through its chromium-driver) driven by Selenium from a thread likewise."""
from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import pathlib
import re
import shutil
import urllib.parse

import pytest

from adapters.sia.adapter import SiaAdapter
from adapters.sia.options import SiaDeviceOptions, SiaOptions
from hub.access import Scope
from hub.console import ConsoleSettings, FloorPlan, Marker, Operator, attach_console, hash_password
from hub.events import Site
from hub.kernel import AdapterInstance, Hub
from hub.spi import DeviceSpec
from hub.ledger import LedgerSettings
from hub.reports import ReportSettings
from tests.alarms.conftest import alarm_settings
from tests.reports.conftest import REGION_NAMES
from tests.kernel.conftest import DEVICES

PASSWORD = "duty-desk-pass-1"
_HASH = hash_password(PASSWORD)
OPERATORS = [
    Operator("yanhu", "盐湖区值班员", _HASH, "operator", Scope(region_prefixes=("140802",))),
    Operator("yuncheng", "运城市值班长", _HASH, "supervisor", Scope(region_prefixes=("1408",))),
    Operator("beijing", "东城区值班员", _HASH, "operator", Scope(region_prefixes=("110101",))),
    Operator("watcher", "观察员", _HASH, "viewer", Scope(region_prefixes=("140802",))),
]
SITES = {"sch-a": ("140802", "盐湖实验小学"), "sch-b": ("140802", "<b>Gate</b> School"),
         "sch-c": ("140821", "临猗中学"), "sch-bj": ("110101", "东城小学")}
PANEL = DeviceSpec(id="panel-1", kind="alarm_panel", adapter="sia-main", name="一键报警 <script>x</script>",
                   site=Site(region_code="140802", school_id="sch-a", building="A", zone="gate"),
                   options=SiaDeviceOptions(account="1234"))
PLAN_SVG = pathlib.Path(__file__).resolve().parents[2] / "console" / "static" / "demo" / "floor-plan-a.svg"
PLANS = [FloorPlan("sch-a", "A", "教学楼 A", str(PLAN_SVG), 1000, 600,
                   (Marker("fp-1", 200, 150), Marker("cam-1", 600, 300), Marker("panel-1", 850, 480)))]


def console_settings(**overrides) -> ConsoleSettings:
    values = dict(address="127.0.0.1:0", operators=OPERATORS, sites=SITES, floor_plans=PLANS, login_attempts=5)
    values.update(overrides)
    return ConsoleSettings(**values)


@contextlib.asynccontextmanager
async def console_hub(tmp_path, sia: bool = False, reports: bool = False, ledger: bool = False,
                      extra_devices=(), **console_overrides):
    """``reports``: the hub keeps reports (联网率), as the dashboard needs; ``ledger`` also a ledger."""
    reports = reports or ledger
    devices = [*DEVICES, PANEL, *extra_devices]
    adapters = [AdapterInstance("sia-main", SiaAdapter, SiaOptions(host="127.0.0.1", tcp_port=0, udp_port=None))] \
        if sia else []
    extra = dict(reports=ReportSettings(region_names=REGION_NAMES, school_names={"sch-a": "盐湖实验小学"},
                                        retention=None)) if reports else {}
    if ledger:
        extra["ledger"] = LedgerSettings(photo_dir=str(tmp_path / "photos"), tick_interval=None)
    hub = Hub(alarm_settings(tmp_path, devices=devices, adapters=adapters, **extra))
    console = attach_console(hub, console_settings(**console_overrides))
    await hub.start()
    try:
        yield hub, console
    finally:
        await hub.stop()


@pytest.fixture
async def hub_and_console(tmp_path):
    async with console_hub(tmp_path) as pair:
        yield pair


class Http:
    """A cookie-keeping HTTP client for one console (one 'browser')."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                      body: bytes | None = None, cookies: bool = True):
        return await asyncio.to_thread(self._request, method, path, form, headers or {}, body, cookies)

    def _request(self, method, path, form, headers, body, cookies):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            if form is not None:
                body = urllib.parse.urlencode(form).encode()
                headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
            if cookies and self.cookies:
                headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **headers}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            for header in response.headers.get_all("Set-Cookie") or ():
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in header or not value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            return response.status, response.headers, data.decode("utf-8", "replace")
        finally:
            connection.close()

    async def login(self, username: str, password: str = PASSWORD):
        _, _, page = await self.request("GET", "/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        return await self.request("POST", "/login", {"csrf": token, "username": username, "password": password,
                                                     "next": "/alarms"})

    def csrf_of(self, page: str) -> str:
        return re.search(r'"X-CSRF-Token": "([^"]+)"', page).group(1)


# --- the browser ------------------------------------------------------------------------------------
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
browser_available = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and shutil.which("chromedriver")),
    reason="Debian chromium and chromium-driver are not installed (scripts/bootstrap.sh installs them as root)")


def new_driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1360,900", "--lang=zh-CN", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class Browser:
    """A Selenium driver used from a thread, so the hub on this thread's reactor keeps serving."""

    def __init__(self, driver, base: str, shots: pathlib.Path) -> None:
        self.driver, self.base, self.shots = driver, base.rstrip("/"), shots

    async def run(self, function, *args):
        return await asyncio.to_thread(function, *args)

    async def get(self, path: str) -> None:
        await self.run(self.driver.get, self.base + path)

    async def wait(self, predicate, timeout: float = 10.0, what: str = "condition"):
        """Poll ``predicate(driver)`` (in the thread) until it is truthy; its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        problem = None
        while True:
            try:
                value = await self.run(predicate, self.driver)
            except Exception as exc:  # (the element was replaced by a live refresh meanwhile)
                value, problem = None, exc
            if value:
                return value
            if loop.time() > deadline:
                await self.shot("timed-out")
                errors = await self.run(self.console_errors)
                raise AssertionError(f"timed out waiting for {what} at {self.driver.current_url}; browser "
                                     f"errors: {errors}; last exception: {problem!r}")
            await asyncio.sleep(0.05)

    async def css(self, selector: str):
        from selenium.webdriver.common.by import By
        return await self.run(self.driver.find_elements, By.CSS_SELECTOR, selector)

    async def text(self, selector: str) -> str:
        from selenium.webdriver.common.by import By
        return await self.run(lambda: self.driver.find_element(By.CSS_SELECTOR, selector).text)

    async def login(self, username: str, password: str = PASSWORD) -> None:
        from selenium.webdriver.common.by import By

        await self.get("/login")

        def fill():
            self.driver.find_element(By.ID, "username").send_keys(username)
            self.driver.find_element(By.ID, "password").send_keys(password)
            self.driver.find_element(By.ID, "login-button").click()
        await self.run(fill)

    async def shot(self, name: str) -> pathlib.Path:
        path = self.shots / f"{name}.png"
        await self.run(self.driver.save_screenshot, str(path))
        return path

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]


SCREENSHOTS = pathlib.Path(__file__).resolve().parents[2] / "artifacts" / "console"


@pytest.fixture
async def browsers():
    """Opens independent browsers (own profile, own cookies) on demand; closes them after."""
    opened = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    async def open_browser(console) -> Browser:
        driver = await asyncio.to_thread(new_driver)
        opened.append(driver)
        return Browser(driver, console.url, SCREENSHOTS)

    yield open_browser
    for driver in opened:
        await asyncio.to_thread(driver.quit)
