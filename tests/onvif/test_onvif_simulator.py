"""The camera simulator on its own: auth, blocking pulls, termination, hostile requests, snapshot,
WS-Discovery and scenarios, spoken to over loopback."""
from __future__ import annotations

import asyncio
import os
import time

import pytest
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth
from twisted.internet import reactor
from twisted.web.client import Agent, readBody

from adapters.onvif import discovery, pullpoint
from adapters.onvif.discovery_cli import probe
from adapters.onvif.errors import CameraError, FailureKind
from adapters.onvif.soap import build_envelope, format_datetime, password_digest, username_token
from adapters.onvif.transport import SoapHttpClient
from simulators.camera.camera import EVENT_KINDS, CameraConfig, SimulatedCamera
from simulators.camera.scenario import ScenarioFileError, load_scenario, parse_steps, run_scenario
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


@pytest.mark.parametrize("operation, allowed", [
    ("GetSystemDateAndTime", True), ("GetCapabilities", True), ("GetServices", True),
    ("GetServiceCapabilities", True), ("GetHostname", True),  # ONVIF's PRE_AUTH class
    ("GetScopes", False), ("GetNetworkInterfaces", False), ("GetDeviceInformation", False),
])
async def test_only_pre_auth_device_operations_answer_without_a_token(camera, operation, allowed):
    sim, client = camera
    call = _call(client, sim["cam-1"].device_url, operation, f"<tds:{operation}/>")
    if allowed:
        assert (await call).body.tag.endswith(f"{operation}Response")
    else:
        with pytest.raises(CameraError) as refused:
            await call
        assert refused.value.kind is FailureKind.AUTH


async def test_pull_blocks_until_an_event_arrives(camera):
    sim, client = camera
    cam = sim["cam-1"].camera
    sub = await _subscribe(sim, client)
    await _pull(client, sub, cam, timeout=0)  # the initial state
    pending = asyncio.ensure_future(_call(client, sub.address, "PullMessages",
                                          pullpoint.pull_messages_request(30, 10), _token(cam.now()), timeout=40))
    await asyncio.sleep(0.1)
    assert not pending.done()  # nothing queued: the camera holds the pull open
    cam.trigger("video_loss", True)
    result = pullpoint.parse_pull_messages_response(await pending)
    assert [(n.topic, n.data) for n in result.notifications] == [("tns1:VideoSource/SignalLoss", (("State", "true"),))]


async def _pull(client, sub, cam, *, timeout: float = 0.1) -> pullpoint.PullResult:
    return pullpoint.parse_pull_messages_response(await _call(
        client, sub.address, "PullMessages", pullpoint.pull_messages_request(timeout, 100), _token(cam.now())))


async def test_a_new_pull_point_first_reports_every_property_as_initialized_then_times_out_empty(camera):
    sim, client = camera
    cam = sim["cam-1"].camera
    cam.trigger("digital_input", True)
    sub = await _subscribe(sim, client)
    first = await _pull(client, sub, cam)
    assert {n.operation for n in first.notifications} == {"Initialized"}
    state = {n.topic: n.data for n in first.notifications}
    assert set(state) == {kind.topic for kind in EVENT_KINDS.values()}  # every property, even never triggered
    assert state["tns1:Device/Trigger/DigitalInput"] == (("LogicalState", "true"),)
    assert state["tns1:VideoSource/MotionAlarm"] == (("State", "false"),)
    assert state["tns1:Device/Trigger/Relay"] == (("LogicalState", "inactive"),)
    assert (await _pull(client, sub, cam)).notifications == ()


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


def _get_snapshots(url: str, attempts: list) -> list[requests.Response]:
    """GET ``url`` with each auth of ``attempts`` (requests: an HTTP client we did not write)."""
    with requests.Session() as session:
        session.trust_env = False
        return [session.get(url, auth=auth, timeout=5) for auth in attempts]


@pytest.mark.parametrize("scheme, right, wrong", [
    ("digest", HTTPDigestAuth("admin", "admin"), HTTPDigestAuth("admin", "nope")),
    ("basic", HTTPBasicAuth("admin", "admin"), HTTPBasicAuth("admin", "nope")),
])
async def test_snapshot_needs_the_camera_user_as_its_http_auth_says(scheme, right, wrong):
    sim = await CameraSimulator.start([CameraConfig(name="cam-1", snapshot_auth=scheme)])
    url = f"{sim['cam-1'].base_url}/onvif/snapshot.jpg"
    try:
        anonymous, allowed, refused = await asyncio.get_running_loop().run_in_executor(
            None, _get_snapshots, url, [None, right, wrong])
        cam = sim["cam-1"].camera
    finally:
        await sim.stop()
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].lower().startswith(scheme)
    assert 'realm="cam-1"' in anonymous.headers["WWW-Authenticate"]
    assert allowed.status_code == 200 and allowed.headers["content-type"] == "image/jpeg"
    assert is_camera_picture(allowed.content, "cam-1")
    assert refused.status_code == 401
    assert cam.requests["snapshot"] == 1 and cam.requests["snapshot_auth_failures"] == 1


def is_camera_picture(data: bytes, camera: str) -> bool:
    """A JPEG whose comment names the camera (the simulator draws its name and time on it)."""
    return data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9" and camera.encode() in data[:512]


async def test_snapshot_of_a_camera_without_http_auth_is_open():
    sim = await CameraSimulator.start([CameraConfig(name="cam-1", snapshot_auth="none")])
    try:
        [answer] = await asyncio.get_running_loop().run_in_executor(
            None, _get_snapshots, f"{sim['cam-1'].base_url}/onvif/snapshot.jpg", [None])
    finally:
        await sim.stop()
    assert answer.status_code == 200 and is_camera_picture(answer.content, "cam-1")


def test_unknown_snapshot_auth_is_refused():
    with pytest.raises(ValueError, match="snapshot_auth must be one of digest, basic, none"):
        SimulatedCamera(CameraConfig(snapshot_auth="ntlm"), reactor)


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
    args = parser.parse_args(["--cameras", "2", "--base-port", "0", "--discovery-port", "0", "--scenario", str(scenario),
                              "--snapshot-auth", "basic"])
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
    assert "(user admin, snapshot auth basic)" in out
    assert "cam-2: motion on" in out and "scenario done" in out


async def test_unsupported_operations_are_counted_each_time_and_said_once(camera):
    sim, client = camera
    lines: list[str] = []
    sim["cam-1"].resource._echo = lines.append
    cam = sim["cam-1"].camera
    for _ in range(3):
        status, body = await _post(sim["cam-1"].device_url, build_envelope(
            "<tds:GetDNS/>", username_token("admin", "admin", created=cam.now(), nonce=os.urandom(16))))
        assert status == 500 and b"ter:ActionNotSupported" in body and b"env:Receiver" in body
    assert cam.requests["not_supported"] == 3
    assert lines == ["cam-1: GetDNS is not supported (fault, HTTP 500; said once per operation)"]
