"""The camera simulator on its own: auth, blocking pulls, termination, hostile requests, snapshot,
WS-Discovery and scenarios, spoken to over loopback."""
from __future__ import annotations

import asyncio
import os
import time

import pytest
from twisted.internet import reactor
from twisted.web.client import Agent, readBody

from adapters.onvif import discovery, pullpoint
from adapters.onvif.discovery_cli import probe
from adapters.onvif.errors import CameraError, FailureKind
from adapters.onvif.soap import format_datetime, password_digest, username_token
from adapters.onvif.transport import SoapHttpClient
from simulators.camera.camera import CameraConfig
from simulators.camera.scenario import ScenarioFileError, load_scenario, parse_steps, run_scenario
from simulators.camera.server import SNAPSHOT_JPEG
from simulators.camera.simulator import CameraSimulator

# twisted's readBody warns about the Agent's transport proxy; harmless for these short reads.
pytestmark = pytest.mark.filterwarnings("ignore:Using readBody:DeprecationWarning")


@pytest.fixture
async def camera():
    sim = await CameraSimulator.start([CameraConfig(name="cam-1", clock_skew=-900)], discovery_port=0)
    client = SoapHttpClient(reactor, max_bytes=256 * 1024, persistent=False)
    yield sim, client
    await client.close()
    await sim.stop()


def _token(now: float, *, password: str = "admin") -> str:
    return username_token("admin", password, created=now, nonce=os.urandom(16))


async def _call(client, url, operation, body, header="", timeout=3.0):
    return await client.call(url, operation, body, header, timeout=timeout)


async def _subscribe(sim, client, lifetime=10.0) -> pullpoint.Subscription:
    running = sim["cam-1"]
    answer = await _call(client, f"{running.base_url}/onvif/event_service", "CreatePullPointSubscription",
                         pullpoint.create_subscription_request(lifetime), _token(running.camera.now()))
    return pullpoint.parse_create_subscription_response(answer)


async def test_signing_with_camera_time_is_accepted_and_with_our_time_refused(camera):
    sim, client = camera
    url = sim["cam-1"].device_url
    body = "<tds:GetDeviceInformation/>"
    answer = await _call(client, url, "GetDeviceInformation", body, _token(sim["cam-1"].camera.now()))
    assert answer.body.tag.endswith("GetDeviceInformationResponse")
    with pytest.raises(CameraError) as refused:  # 900 s skew: outside the 60 s window
        await _call(client, url, "GetDeviceInformation", body, _token(time.time()))
    assert refused.value.kind is FailureKind.AUTH


@pytest.mark.parametrize("strip", ["<wsse:Nonce", "<wsu:Created"])
async def test_tokens_without_nonce_or_created_are_refused(camera, strip):
    sim, client = camera
    header = _token(sim["cam-1"].camera.now())
    start = header.index(strip)
    end = header.index("</" + strip[1:], start) + len(strip) + 2
    header = header[:start] + header[end:]
    assert strip not in header
    with pytest.raises(CameraError) as refused:
        await _call(client, sim["cam-1"].device_url, "GetDeviceInformation", "<tds:GetDeviceInformation/>", header)
    assert refused.value.kind is FailureKind.AUTH


async def test_wrong_password_stale_token_and_replay_are_refused(camera):
    sim, client = camera
    cam = sim["cam-1"].camera
    url, body = sim["cam-1"].device_url, "<tds:GetDeviceInformation/>"
    for header in (_token(cam.now(), password="nope"), _token(cam.now() - 600)):
        with pytest.raises(CameraError):
            await _call(client, url, "GetDeviceInformation", body, header)
    replayed = _token(cam.now())
    await _call(client, url, "GetDeviceInformation", body, replayed)
    with pytest.raises(CameraError) as again:
        await _call(client, url, "GetDeviceInformation", body, replayed)
    assert again.value.kind is FailureKind.AUTH
    assert cam.requests["auth_failures"] == 3


async def test_get_system_date_and_time_needs_no_auth_and_reports_camera_clock(camera):
    sim, client = camera
    answer = await _call(client, sim["cam-1"].device_url, "GetSystemDateAndTime", "<tds:GetSystemDateAndTime/>")
    assert answer.body.tag.endswith("GetSystemDateAndTimeResponse")
    minute = answer.body.findtext(".//{http://www.onvif.org/ver10/schema}UTCDateTime/"
                                  "{http://www.onvif.org/ver10/schema}Time/{http://www.onvif.org/ver10/schema}Minute")
    assert int(minute) == time.gmtime(sim["cam-1"].camera.now()).tm_min or int(minute) == time.gmtime(sim["cam-1"].camera.now() - 1).tm_min


async def test_pull_blocks_until_an_event_arrives(camera):
    sim, client = camera
    cam = sim["cam-1"].camera
    sub = await _subscribe(sim, client)
    pending = asyncio.ensure_future(_call(client, sub.address, "PullMessages",
                                          pullpoint.pull_messages_request(30, 10), _token(cam.now()), timeout=40))
    await asyncio.sleep(0.1)
    assert not pending.done()  # nothing queued: the camera holds the pull open
    cam.trigger("video_loss", True)
    result = pullpoint.parse_pull_messages_response(await pending)
    assert [(n.topic, n.data) for n in result.notifications] == [("tns1:VideoSource/SignalLoss", (("State", "true"),))]


async def test_pull_times_out_empty_and_new_subscriptions_get_initialized_state(camera):
    sim, client = camera
    cam = sim["cam-1"].camera
    cam.trigger("digital_input", True)
    sub = await _subscribe(sim, client)
    first = pullpoint.parse_pull_messages_response(await _call(
        client, sub.address, "PullMessages", pullpoint.pull_messages_request(0.1, 10), _token(cam.now())))
    assert [n.operation for n in first.notifications] == ["Initialized"]
    empty = pullpoint.parse_pull_messages_response(await _call(
        client, sub.address, "PullMessages", pullpoint.pull_messages_request(0.1, 10), _token(cam.now())))
    assert empty.notifications == ()


async def test_expired_and_unsubscribed_pull_points_answer_resource_unknown(camera):
    sim, client = camera
    cam = sim["cam-1"].camera
    short = await _subscribe(sim, client, lifetime=0.2)
    kept = await _subscribe(sim, client, lifetime=30)
    await asyncio.sleep(0.3)
    with pytest.raises(CameraError) as expired:
        await _call(client, short.address, "PullMessages", pullpoint.pull_messages_request(0.1, 1), _token(cam.now()))
    assert expired.value.kind is FailureKind.FAULT and "ResourceUnknown" in expired.value.reason
    await _call(client, kept.address, "Unsubscribe", pullpoint.unsubscribe_request(), _token(cam.now()))
    assert cam.subscriptions == {}


async def test_reboot_loses_subscriptions(camera):
    sim, client = camera
    cam = sim["cam-1"].camera
    sub = await _subscribe(sim, client)
    cam.reboot()
    with pytest.raises(CameraError):
        await _call(client, sub.address, "PullMessages", pullpoint.pull_messages_request(0.1, 1), _token(cam.now()))
    await asyncio.sleep(cam.config.reboot_downtime)
    with pytest.raises(CameraError) as gone:
        await _call(client, sub.address, "PullMessages", pullpoint.pull_messages_request(0.1, 1), _token(cam.now()))
    assert gone.value.kind is FailureKind.FAULT


@pytest.mark.parametrize("payload", [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>&b;</env:Body></env:Envelope>',
    b"<env:Envelope xmlns:env='http://www.w3.org/2003/05/soap-envelope'><env:Body>" + b"<a>" * 100 + b"x",
    b"\x00\x01\x02 not xml",
])
async def test_hostile_requests_get_a_sender_fault(camera, payload):
    sim, _ = camera
    status, body = await _post(sim["cam-1"].device_url, payload)
    assert status == 400 and b"ter:WellFormed" in body


async def test_huge_requests_are_refused_unread(camera):
    sim, _ = camera
    status, body = await _post(sim["cam-1"].device_url, b"<x>" + b"A" * (1024 * 1024) + b"</x>")
    assert status == 413 and b"too large" in body


async def test_snapshot_is_a_jpeg(camera):
    sim, _ = camera
    response = await Agent(reactor).request(b"GET", f"{sim['cam-1'].base_url}/onvif/snapshot.jpg".encode()).asFuture(
        asyncio.get_running_loop())
    body = await readBody(response).asFuture(asyncio.get_running_loop())
    assert response.headers.getRawHeaders(b"content-type") == [b"image/jpeg"]
    assert body == SNAPSHOT_JPEG and body[:2] == b"\xff\xd8" and body[-2:] == b"\xff\xd9"


async def test_unicast_ws_discovery_probe_is_answered():
    sim = await CameraSimulator.start(2, discovery_port=0)
    try:
        matches = await probe([f"127.0.0.1:{sim.discovery_port.getHost().port}"], timeout=0.3)
    finally:
        await sim.stop()
    assert sorted(m.scope("name") for m in matches) == ["cam-1", "cam-2"]
    assert all(m.xaddrs[0].endswith("/onvif/device_service") and discovery.NVT_TYPE in m.types for m in matches)


async def test_scenario_steps_drive_cameras():
    sim = await CameraSimulator.start(2)
    lines: list[str] = []
    steps = parse_steps([
        {"at": 0, "camera": "*", "action": "tamper", "active": True},
        {"at": 0.05, "camera": "cam-2", "action": "clock_skew", "seconds": 120},
        {"at": 0.05, "camera": "cam-1", "action": "misbehave", "mode": "slow", "delay": 0.5},
        {"at": 0.05, "camera": "cam-1", "action": "event", "topic": "tns1:Vendor/Thing", "data": {"Level": 3}},
    ])
    try:
        await run_scenario(sim.select, steps, lines.append)
        assert sim["cam-2"].camera.config.clock_skew == 120
        assert sim["cam-1"].camera.misbehaviour == "slow"
        assert ("tns1:RuleEngine/TamperDetector/Tamper", (("VideoSourceConfigurationToken", "vsc1"),)) in sim["cam-2"].camera.properties
        assert len(lines) == 5 and "tamper on" in lines[0]
    finally:
        await sim.stop()


def test_bad_scenarios_say_what_is_wrong():
    with pytest.raises(ValueError, match="unknown action 'explode'"):
        parse_steps([{"action": "explode"}])
    with pytest.raises(ValueError, match="misbehave mode"):
        parse_steps([{"action": "misbehave", "mode": "weird"}])


def test_scenario_file_errors_have_file_line(tmp_path):
    path = tmp_path / "cams.yaml"
    path.write_text("- {at: 1, camera: cam-1, action: motion, active: true}\n- {at: 2, camera: cam-1, action: explode}\n")
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(str(path))
    (problem,) = info.value.problems
    assert str(problem).startswith(f"{path}:2:34: [1].action: unknown action 'explode'; expected one of ")


def test_scenario_keys_are_read_as_written(tmp_path):
    """YAML 1.1 made the key 'on' the boolean True, so 'silent, on: false' silenced the camera."""
    path = tmp_path / "cams.yaml"
    path.write_text("- {at: 1, camera: cam-1, action: silent, on: false}\n")
    (step,) = load_scenario(str(path))
    assert step.args == {"on": False}


def test_digest_golden_vector_from_the_onvif_programmers_guide():
    import base64
    assert password_digest(base64.b64decode("LKqI6G/AikKCQrN0zqZFlg=="), "2010-09-16T07:50:45Z",
                           "userpassword") == "tuOSpGlFlIXsozq4HFNeeGeFLEI="
    assert format_datetime(1284623445) == "2010-09-16T07:50:45Z"


async def _post(url: str, payload: bytes) -> tuple[int, bytes]:
    from adapters.onvif.transport import _BytesProducer

    loop = asyncio.get_running_loop()
    response = await Agent(reactor).request(b"POST", url.encode(), None, _BytesProducer(payload)).asFuture(loop)
    return response.code, await readBody(response).asFuture(loop)


async def test_cli_runs_cameras_with_a_scenario(tmp_path, capsys):
    import argparse

    from simulators.camera.cli import configure

    scenario = tmp_path / "s.yaml"
    scenario.write_text("- {at: 0, camera: cam-2, action: motion, active: true}\n")
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args(["--cameras", "2", "--base-port", "0", "--discovery-port", "0", "--scenario", str(scenario)])
    task = asyncio.ensure_future(args.main(args))
    out = ""
    for _ in range(250):
        out += capsys.readouterr().out
        if "scenario done" in out:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "cam-1: ONVIF device service at http://127.0.0.1:" in out and "WS-Discovery answering on udp" in out
    assert "cam-2: motion on" in out and "scenario done" in out
