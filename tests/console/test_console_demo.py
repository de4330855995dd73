"""`campus-hub demo` serves the console and prints its URL and a login that works."""
from __future__ import annotations

import asyncio
import os
import re
import sys

from tests.campus.processes import ROOT
from tests.console.conftest import Http


async def test_the_demo_prints_the_console_url_and_a_login_that_works():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "demo", "--duration", "40", "--grpc", "127.0.0.1:0", "--metrics",
        "127.0.0.1:0", "--console", "127.0.0.1:0", cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        found = None
        while found is None:
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            assert line, "the demo ended before printing the console"
            found = re.search(r"console +http://127\.0\.0\.1:(\d+)/ +\(log in as (\S+) / (\S+)\)", line)
        port, username, password = int(found.group(1)), found.group(2), found.group(3)
        client = Http(port)
        status, headers, _ = await client.login(username, password)
        assert status == 303, "the printed login does not work"
        status, _, page = await client.request("GET", "/devices")
        assert status == 200 and "fire-panel-a" in page
        status, _, page = await client.request("GET", "/plans")
        assert status == 200 and "/plan?school=" in page
    finally:
        process.terminate()
        await process.wait()
