"""`campus-hub alarms` and `campus-hub alarm ack|comment` as a user runs them, against a real hub
over loopback."""
from __future__ import annotations

import json

from hub.alarms import Acknowledge
from hub.events import Category, Severity, State, new_event

from tests.kernel.conftest import ALL_TOKEN, POLICE_TOKEN
from tests.kernel.test_cli import run_cli

from .test_alarm_service import PANIC, settled


async def test_list_acknowledge_and_comment_from_the_command_line(alarm_hub):
    await alarm_hub.submit(new_event(device_id="pb-1", type="panic.alarm", category=Category.CATEGORY_PANIC,
                                     severity=Severity.SEVERITY_CRITICAL, state=State.STATE_MOMENTARY), "synth")
    await settled(alarm_hub)
    target = ["--target", f"127.0.0.1:{alarm_hub.grpc_port}", "--token", POLICE_TOKEN]
    code, out, err = await run_cli("alarms", *target)
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split()[:4] == ["ALARM", "P", "STATE", "REV"]
    assert row.split()[:4] == [PANIC, "1", "latched_unacknowledged", "1"] and "sch-b" in row

    code, _, err = await run_cli("alarm", "ack", PANIC, "--revision", "0", *target)
    assert code == 1 and "FAILED_PRECONDITION" in err and "revision 1" in err
    code, out, err = await run_cli("alarm", "ack", PANIC, "--revision", "1", "--comment", "guard sent", "--json",
                                   *target)
    assert code == 0, err
    acked = json.loads(out)
    assert (acked["state"], acked["revision"], acked["last_actor"]) == (
        "ALARM_STATE_NORMAL", "2", "subscriber:police-yanhu")
    code, out, err = await run_cli("alarm", "comment", PANIC, "false alarm: pressed by a child", *target)
    assert code == 0 and "false alarm" in out, err

    code, out, err = await run_cli("alarm", "assign", PANIC, "duty-2", *target)
    assert code == 0 and "duty-2" in out, err
    code, _, err = await run_cli("alarm", "shelve", PANIC, "--for", "soon", *target)
    assert code == 2 and "not a duration" in err
    code, _, err = await run_cli("alarm", "shelve", PANIC, "--for", "9h", *target)  # the class allows 8h
    assert code == 1 and "INVALID_ARGUMENT" in err
    code, _, err = await run_cli("alarm", "close", PANIC, "--disposition", "false", *target)
    assert code == 1 and "PERMISSION_DENIED" in err and "supervisor" in err  # the police token is an operator's
    supervisor = ["--target", f"127.0.0.1:{alarm_hub.grpc_port}", "--token", ALL_TOKEN]
    code, out, err = await run_cli("alarm", "close", PANIC, "--disposition", "false", "--json", *supervisor)
    assert code == 0 and json.loads(out)["disposition"] == "DISPOSITION_FALSE", err
    code, out, err = await run_cli("alarms", "--state", "normal", "--json", *supervisor)
    assert code == 0, err
    assert [json.loads(line)["revision"] for line in out.splitlines()] == ["5"]
    code, out, err = await run_cli("alarms", *target)
    assert code == 0 and out.splitlines()[1:] == []  # no retained alarm left


async def test_watch_shows_the_retained_alarms_then_each_change(alarm_hub):
    import asyncio
    from tests.kernel.test_cli import CLI
    await alarm_hub.submit(new_event(device_id="fp-1", type="fire.alarm", category=Category.CATEGORY_FIRE,
                                     severity=Severity.SEVERITY_CRITICAL, state=State.STATE_RAISED), "synth")
    await settled(alarm_hub)
    watcher = await asyncio.create_subprocess_exec(
        *CLI, "alarms", "--watch", "--count", "1", "--target", f"127.0.0.1:{alarm_hub.grpc_port}",
        "--token", POLICE_TOKEN, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        header = await asyncio.wait_for(watcher.stdout.readline(), 30)
        row = await asyncio.wait_for(watcher.stdout.readline(), 30)
        assert header.split()[:2] == [b"ALARM", b"P"] and row.split()[0] == b"fp-1/fire.alarm"
        await alarm_hub.alarms.command("fp-1/fire.alarm", Acknowledge(1, "checked"), "subscriber:ops")
        out, err = await asyncio.wait_for(watcher.communicate(), 30)
        assert watcher.returncode == 0, err
        [line] = out.decode().splitlines()
        assert "acknowledged" in line and "fp-1/fire.alarm" in line and "rev 2" in line and "checked" in line
    finally:
        if watcher.returncode is None:
            watcher.kill()
            await watcher.wait()


async def test_audit_from_the_command_line(alarm_hub):
    await alarm_hub.submit(new_event(device_id="pb-1", type="panic.alarm", category=Category.CATEGORY_PANIC,
                                     severity=Severity.SEVERITY_CRITICAL, state=State.STATE_MOMENTARY), "synth")
    await settled(alarm_hub)
    operator = ["--target", f"127.0.0.1:{alarm_hub.grpc_port}", "--token", POLICE_TOKEN]
    supervisor = ["--target", f"127.0.0.1:{alarm_hub.grpc_port}", "--token", ALL_TOKEN]
    code, _, err = await run_cli("alarm", "ack", PANIC, "--revision", "0", "--force", *operator)
    assert code == 1 and "PERMISSION_DENIED" in err
    code, out, err = await run_cli("alarm", "ack", PANIC, "--revision", "0", "--force", "--json", *supervisor)
    assert code == 0 and json.loads(out)["acknowledged"] is True, err
    code, out, err = await run_cli("audit", *supervisor)
    assert code == 0, err
    header, forced, denied = out.splitlines()
    assert header.split()[:6] == ["TIME", "PRINCIPAL", "ROLE", "ACTION", "ALARM/PANEL", "OUTCOME"]
    assert forced.split()[1:6] == ["ops", "supervisor", "acknowledge", PANIC, "accepted"] and "force=true" in forced
    assert denied.split()[1:7] == ["police-yanhu", "operator", "acknowledge", PANIC, "refused:", "role"]
    code, out, err = await run_cli("audit", "--refused", "--json", *supervisor)
    assert code == 0 and [json.loads(line)["code"] for line in out.splitlines()] == ["role"], err
