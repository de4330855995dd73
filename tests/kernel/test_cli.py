"""The CLI as a user runs it: real processes, real config files, a real hub over loopback."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys


from hub.access import new_token

CLI = [sys.executable, "-m", "hub.cli"]


async def run_cli(*args, env=None, timeout=60):
    process = await asyncio.create_subprocess_exec(
        *CLI, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})})
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode, out.decode(), err.decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HUB_YAML = """\
hub: {{id: cli-test-hub}}
journal: {{path: {journal}}}
logging: {{format: {log_format}}}
listeners:
  grpc: {{address: "127.0.0.1:{port}"}}
  metrics: {metrics}
sites:
  - {{school_id: sch-1, region_code: "140802"}}
adapters:
  - {{name: synth, type: synthetic, options: {{rate: {rate}, seed: 1}}}}
devices:
  - {{id: fp-1, kind: fire_panel, adapter: synth, site: {{school_id: sch-1, building: A}}}}
  - {{id: cam-1, kind: camera, adapter: synth, site: {{school_id: sch-1}}}}
subscribers:
  - id: police
    token_sha256: ${{POLICE_SHA}}
    scope: {scope}
"""


def hub_yaml(journal, port, *, metrics_port=None, log_format="auto", rate=200,
             scope='{region_prefixes: ["1408"]}') -> str:
    metrics = f'{{address: "127.0.0.1:{metrics_port}"}}' if metrics_port else "null"
    return HUB_YAML.format(journal=journal, port=port, metrics=metrics, log_format=log_format, rate=rate, scope=scope)


async def test_check_reports_problems_with_lines_and_exits_nonzero(tmp_path):
    bad = tmp_path / "hub.yaml"
    bad.write_text("hub: {id: test-hub}\nsites:\n  - {school_id: s1, region_code: '999999'}\ndevices:\n  - id: x\n"
                   "    colour: red\n")
    code, out, _ = await run_cli("check", str(bad))
    assert code != 0
    assert f"{bad}:3:" in out and "region_code" in out
    assert f"{bad}:6:" in out and "colour" in out


async def test_run_tail_and_devices_against_a_live_hub(tmp_path):
    token, digest = new_token()
    port = free_port()
    config = tmp_path / "hub.yaml"
    config.write_text(hub_yaml(tmp_path / "j.db", port))
    hub = await asyncio.create_subprocess_exec(*CLI, "run", "-c", str(config), env={**os.environ, "POLICE_SHA": digest},
                                               stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        target = f"127.0.0.1:{port}"
        for _ in range(100):
            code, out, err = await run_cli("devices", "--target", target, "--token", token)
            if code == 0:
                break
            await asyncio.sleep(0.1)
        assert code == 0, err
        assert "fp-1" in out and "online" in out and "sch-1/A" in out
        code, out, err = await run_cli("tail", "--target", target, "--token", token, "--from-earliest",
                                       "--category", "fire", "--count", "5", "--json")
        assert code == 0, err
        events = [json.loads(line) for line in out.splitlines()]
        assert len(events) == 5 and all(e["category"] == "CATEGORY_FIRE" for e in events)
        seqs = [int(e["sequence"]) for e in events]
        assert seqs == sorted(seqs)
        code, _, err = await run_cli("tail", "--target", target, "--token", "wrong", "--count", "1")
        assert code == 1 and "UNAUTHENTICATED" in err
        code, _, err = await run_cli("tail", "--target", target, "--token", token, "--region", "11", "--count", "1")
        assert code == 1 and "PERMISSION_DENIED" in err
    finally:
        hub.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(hub.communicate(), 20)
    assert hub.returncode == 0, err.decode()
    assert token not in err.decode() and digest not in err.decode()  # secrets never logged


async def test_ctrl_c_stops_the_hub_and_its_journal_store_in_order(tmp_path):
    # A terminal's Ctrl-C signals the whole process group: the journal store process must outlive
    # the signal long enough to commit what the hub holds, then exit with it.
    _, digest = new_token()
    config = tmp_path / "hub.yaml"
    config.write_text(hub_yaml(tmp_path / "j.db", free_port()))
    hub = await asyncio.create_subprocess_exec(*CLI, "run", "-c", str(config), env={**os.environ, "POLICE_SHA": digest},
                                               stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                               start_new_session=True)
    try:
        while b"hub started" not in await asyncio.wait_for(hub.stderr.readline(), 30):
            pass
        await asyncio.sleep(0.5)  # the synthetic adapter journals events meanwhile
        with open(f"/proc/{hub.pid}/task/{hub.pid}/children") as children:
            [store] = [int(pid) for pid in children.read().split()]
        os.killpg(hub.pid, signal.SIGINT)
        _, err = await asyncio.wait_for(hub.communicate(), 20)
    finally:
        if hub.returncode is None:
            os.killpg(hub.pid, signal.SIGKILL)
    log = err.decode()
    assert hub.returncode == 130, log
    assert "Traceback" not in log and "journal store process restarted" not in log and "write failed" not in log
    assert not os.path.exists(f"/proc/{store}")
    assert not os.path.exists(tmp_path / "j.db-wal")  # the store closed the database last


async def test_run_with_a_bad_config_does_not_start(tmp_path):
    config = tmp_path / "hub.yaml"
    config.write_text("journal: {durability: sometimes}\n")
    code, _, err = await run_cli("run", "-c", str(config))
    assert code == 2 and f"{config}:1:" in err and "durability" in err and "not started" in err


async def test_demo_prints_live_events_and_says_they_are_synthetic():
    code, out, err = await run_cli("demo", "--synthetic", "--grpc", "127.0.0.1:0", "--metrics", "127.0.0.1:0",
                                   "--duration", "3", "--rate", "20")
    assert code == 0, err
    assert "SYNTHETIC" in out
    assert "device.online" in out and "sch-140802-001" in out


async def start_hub_process(config, digest, env=None):
    """`campus-hub run -c config`, and its JSON log records up to "running" (the start is over)."""
    hub = await asyncio.create_subprocess_exec(
        *CLI, "run", "-c", str(config), env={**os.environ, "POLICE_SHA": digest, **(env or {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    records = []
    while not records or records[-1].get("event") != "running":
        line = await asyncio.wait_for(hub.stderr.readline(), 30)
        assert line, f"the hub exited before it was running: {records}"
        records.append(json.loads(line))
    return hub, records


async def stop_hub_process(hub) -> list[str]:
    """SIGTERM, then the rest of its stderr lines."""
    hub.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(hub.communicate(), 20)
    assert hub.returncode == 0, err.decode()
    return err.decode().splitlines()


def json_logging_config(tmp_path):
    config = tmp_path / "hub.yaml"
    config.write_text(hub_yaml(tmp_path / "j.db", free_port(), metrics_port=free_port(), log_format="json", rate=50,
                               scope="{all_regions: true}"))
    return config


async def test_run_announces_each_listener_and_the_adapter_and_device_counts(tmp_path):
    _, digest = new_token()
    config = json_logging_config(tmp_path)
    hub, records = await start_hub_process(config, digest)
    await stop_hub_process(hub)
    listening = {r["api"]: r for r in records if r["event"] == "listening"}
    text = config.read_text()
    grpc_address = text.split('grpc: {address: "')[1].split('"')[0]
    metrics_address = text.split('metrics: {address: "')[1].split('"')[0]
    assert listening["gRPC"]["address"] == grpc_address and listening["gRPC"]["tls"] is False
    assert listening["metrics (HTTP)"]["address"] == metrics_address
    assert len([r for r in records if r["event"] == "listening"]) == 2
    running = records[-1]
    assert (running["adapters"], running["devices"], running["level"]) == (1, 2, "info")


async def test_tail_reconnects_when_the_hub_restarts_and_resumes_without_gap_or_duplicate(tmp_path):
    token, digest = new_token()
    config = json_logging_config(tmp_path)
    target = config.read_text().split('grpc: {address: "')[1].split('"')[0]
    hub, _ = await start_hub_process(config, digest)
    tail = await asyncio.create_subprocess_exec(
        *CLI, "tail", "--target", target, "--token", token, "--from-earliest", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    sequences = []

    async def read_events(until):
        while not until():
            line = await asyncio.wait_for(tail.stdout.readline(), 30)
            assert line, (await tail.stderr.read()).decode()
            sequences.append(int(json.loads(line)["sequence"]))

    try:
        await read_events(lambda: len(sequences) >= 20)
        await stop_hub_process(hub)
        reconnecting = ""
        while "reconnecting in" not in reconnecting:  # skipping any other line (a library's warning)
            reconnecting = (await asyncio.wait_for(tail.stderr.readline(), 30)).decode()
            assert reconnecting, "tail ended without saying it reconnects"
        resumed_after = int(reconnecting.split("resuming after sequence ")[1])
        # What tail printed before it said so (stdout and stderr are separate pipes).
        await read_events(lambda: sequences[-1] >= resumed_after)
        assert sequences[-1] == resumed_after
        hub, _ = await start_hub_process(config, digest)
        await read_events(lambda: len(sequences) >= 2 and sequences[-1] >= resumed_after + 20)
        await stop_hub_process(hub)
    finally:
        if tail.returncode is None:
            tail.terminate()
            await tail.wait()
        if hub.returncode is None:
            hub.kill()
            await hub.wait()
    assert sequences == list(range(1, sequences[-1] + 1)), "a gap or a duplicate"


async def test_a_json_log_stays_json_lines_with_grpc_core_logging_to_stderr(tmp_path):
    # grpc's C core writes its own lines to fd 2 (GRPC_VERBOSITY, GRPC_TRACE); `run` routes them.
    token, digest = new_token()
    config = json_logging_config(tmp_path)
    target = config.read_text().split('grpc: {address: "')[1].split('"')[0]
    hub, records = await start_hub_process(config, digest, env={"GRPC_VERBOSITY": "debug", "GRPC_TRACE": "http"})
    try:
        code, out, err = await run_cli("tail", "--target", target, "--token", token, "--from-earliest",
                                       "--count", "3", "--json")
        assert code == 0, err
    finally:
        lines = await stop_hub_process(hub)
    records += [json.loads(line) for line in lines]  # every line is a JSON record
    native = [r for r in records if ".cc:" in r.get("source", "")]
    assert native, "no line from grpc's C core: was GRPC_TRACE honoured?"
    assert all(r["level"] in ("debug", "info", "warning", "error", "critical") for r in native)
