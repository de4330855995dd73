"""The camera simulator met by onvif-zeep's own client, ``onvif.ONVIFCamera`` (an ONVIF client we
did not write, the one many tools are built on), over loopback HTTP: it connects as it does to a
real camera (GetCapabilities, then a pull point), calls every operation a client uses on connect,
and every raw answer is validated against the ONVIF schemas. The snapshot it is given is then
fetched with HTTP digest by requests, as clients of real cameras do."""
from __future__ import annotations

import asyncio
import datetime as dt

import requests
from lxml import etree
from onvif import ONVIFCamera
from requests.auth import HTTPDigestAuth

from adapters.onvif.client import WSDL_DIR
from simulators.camera.camera import EVENT_KINDS, CameraConfig
from simulators.camera.simulator import CameraSimulator
from tests.onvif.peers import RecordingTransport, topic_set_leaves


def _connect_like_a_client(host: str, port: int, transport: RecordingTransport) -> dict:
    # adjust_time: onvif-zeep reads the camera clock and signs with it (the camera is 10 min off)
    camera = ONVIFCamera(host, port, "admin", "admin", WSDL_DIR, no_cache=True, adjust_time=True, transport=transport)
    device = camera.devicemgmt
    seen = {
        "info": device.GetDeviceInformation(),
        "scopes": device.GetScopes(),
        "hostname": device.GetHostname(),
        "interfaces": device.GetNetworkInterfaces(),
        "services": device.GetServices({"IncludeCapability": False}),
    }
    media = camera.create_media_service()
    seen["media_caps"] = media.GetServiceCapabilities()
    seen["sources"] = media.GetVideoSources()
    seen["profiles"] = media.GetProfiles()
    token = seen["profiles"][0].token
    seen["profile"] = media.GetProfile({"ProfileToken": token})
    seen["stream"] = media.GetStreamUri({"ProfileToken": token, "StreamSetup": {
        "Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}})
    seen["snapshot"] = media.GetSnapshotUri({"ProfileToken": token})
    ptz = camera.create_ptz_service()
    seen["nodes"] = ptz.GetNodes()
    seen["presets"] = ptz.GetPresets({"ProfileToken": token})
    ptz.GotoPreset({"ProfileToken": token, "PresetToken": seen["presets"][-1].token})
    seen["status"] = ptz.GetStatus({"ProfileToken": token})
    events = camera.create_events_service()
    seen["event_caps"] = events.GetServiceCapabilities()
    seen["event_properties"] = events.GetEventProperties()
    # ONVIFCamera made its pull point while connecting; this is the first pull on it
    seen["pull"] = camera.create_pullpoint_service().PullMessages(
        {"Timeout": dt.timedelta(seconds=1), "MessageLimit": 100})
    with requests.Session() as session:
        session.trust_env = False
        seen["jpeg"] = session.get(seen["snapshot"].Uri, auth=HTTPDigestAuth("admin", "admin"), timeout=5)
    return seen


async def test_onvif_zeeps_camera_client_connects_and_reads_everything():
    sim = await CameraSimulator.start([CameraConfig(name="cam-1", clock_skew=-600)])
    running = sim["cam-1"]
    cam = running.camera
    cam.trigger("tamper", True)
    transport = RecordingTransport()
    try:
        seen = await asyncio.get_running_loop().run_in_executor(
            None, _connect_like_a_client, running.host, running.http_port, transport)
    finally:
        await sim.stop()
    assert transport.assert_all_valid()[:3] == [
        "GetSystemDateAndTimeResponse", "GetCapabilitiesResponse", "CreatePullPointSubscriptionResponse"]
    assert cam.requests["auth_failures"] == 0 and cam.requests["not_supported"] == 0
    assert seen["info"].SerialNumber == "cam-1"
    assert seen["hostname"].Name == "cam-1" and seen["interfaces"][0].Info.HwAddress == cam.mac
    assert {s.ScopeItem for s in seen["scopes"]} == {uri for _, uri in cam.scopes}
    assert len(seen["services"]) == 4
    assert seen["media_caps"].SnapshotUri is True
    assert seen["sources"][0].token == seen["profiles"][0].VideoSourceConfiguration.SourceToken
    encoders = [p.VideoEncoderConfiguration for p in seen["profiles"]]
    assert [(e.Encoding, e.Resolution.Width) for e in encoders] == [("H264", 1920), ("H264", 640)]
    assert seen["profile"].Name == "MainStream" and seen["stream"].Uri == "rtsp://127.0.0.1:554/cam-1/main"
    assert seen["nodes"][0].token == seen["profiles"][0].PTZConfiguration.NodeToken
    assert [m.preset for m in cam.ptz.moves] == ["3"]
    assert seen["status"].Position.PanTilt.x == seen["presets"][-1].PTZPosition.PanTilt.x
    assert seen["event_caps"].WSPullPointSupport is True
    listed = topic_set_leaves(seen["event_properties"].TopicSet._value_1)
    assert set(listed) == {kind.topic for kind in EVENT_KINDS.values()}
    messages = [m.Message._value_1 for m in seen["pull"].NotificationMessage]
    assert len(messages) == len(listed) and {m.get("PropertyOperation") for m in messages} == {"Initialized"}
    tamper = [m for m in messages if m.find(".//{*}SimpleItem[@Name='IsTamper']") is not None]
    assert [etree.QName(t).localname for t in tamper] == ["Message"]
    assert tamper[0].find(".//{*}Data/{*}SimpleItem").get("Value") == "true"
    assert seen["jpeg"].status_code == 200 and seen["jpeg"].content[:2] == b"\xff\xd8"
