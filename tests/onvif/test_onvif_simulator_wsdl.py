"""The simulator's answers read by an independent ONVIF client, zeep with the WSDLs/XSDs shipped by
onvif-zeep in strict mode (unexpected or misplaced elements fail the parse), and every raw answer
validated against those XSDs by libxml2 (tests/onvif/onvif_schema.py)."""
from __future__ import annotations

import asyncio
import os

import pytest
import zeep
import zeep.exceptions
from lxml import etree
from onvif.definition import SERVICES
from zeep.wsse.username import UsernameToken

from adapters.onvif.client import WSDL_DIR
from simulators.camera.camera import EVENT_KINDS, CameraConfig
from simulators.camera.simulator import CameraSimulator
from tests.onvif.peers import RecordingTransport, topic_set_leaves

_ERRORS = "http://www.onvif.org/ver10/error"


def _service(transport, name: str, url: str, binding: str | None = None):
    definition = SERVICES[name]
    client = zeep.Client(os.path.join(WSDL_DIR, definition["wsdl"]), settings=zeep.Settings(strict=True),
                         transport=transport, wsse=UsernameToken("admin", "admin", use_digest=True))
    return client.create_service(f"{{{definition['ns']}}}{binding or definition['binding']}", url)


def _exercise_every_operation(base: str, transport: RecordingTransport) -> dict:
    device = _service(transport, "devicemgmt", f"{base}/onvif/device_service")
    media = _service(transport, "media", f"{base}/onvif/media_service")
    ptz = _service(transport, "ptz", f"{base}/onvif/ptz_service")
    events = _service(transport, "events", f"{base}/onvif/event_service")
    seen = {
        "time": device.GetSystemDateAndTime(),
        "info": device.GetDeviceInformation(),
        "capabilities": device.GetCapabilities(Category="All"),
        "services": device.GetServices(IncludeCapability=True),
        "device_caps": device.GetServiceCapabilities(),
        "scopes": device.GetScopes(),
        "hostname": device.GetHostname(),
        "interfaces": device.GetNetworkInterfaces(),
        "media_caps": media.GetServiceCapabilities(),
        "sources": media.GetVideoSources(),
        "source_configs": media.GetVideoSourceConfigurations(),
        "encoder_configs": media.GetVideoEncoderConfigurations(),
        "profiles": media.GetProfiles(),
    }
    token = seen["profiles"][0].token
    seen["profile"] = media.GetProfile(ProfileToken=seen["profiles"][1].token)
    seen["stream"] = media.GetStreamUri(StreamSetup={"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                                        ProfileToken=token)
    seen["snapshot"] = media.GetSnapshotUri(ProfileToken=token)
    seen["ptz_caps"] = ptz.GetServiceCapabilities()
    seen["nodes"] = ptz.GetNodes()
    seen["presets"] = ptz.GetPresets(ProfileToken=token)
    seen["preset"] = ptz.GotoPreset(ProfileToken=token, PresetToken="2")
    seen["status"] = ptz.GetStatus(ProfileToken=token)
    seen["event_caps"] = events.GetServiceCapabilities()
    seen["event_properties"] = events.GetEventProperties()
    created = events.CreatePullPointSubscription(InitialTerminationTime="PT10S")
    seen["subscription"] = created
    address = created.SubscriptionReference.Address._value_1
    pull_point = _service(transport, "pullpoint", address)
    seen["pull"] = pull_point.PullMessages(Timeout="PT1S", MessageLimit=100)
    seen["sync"] = pull_point.SetSynchronizationPoint()
    seen["pull_again"] = pull_point.PullMessages(Timeout="PT1S", MessageLimit=100)
    manager = _service(transport, "events", address, "SubscriptionManagerBinding")
    seen["renew"] = manager.Renew(TerminationTime="PT20S")
    seen["unsubscribe"] = manager.Unsubscribe()
    return seen


async def _run(configs, work):
    """(the first simulated camera, what ``work(its base URL)`` returned on a thread)."""
    sim = await CameraSimulator.start(configs)
    try:
        running = sim.cameras[0]
        return running.camera, await asyncio.get_running_loop().run_in_executor(None, work, running.base_url)
    finally:
        await sim.stop()


async def test_every_operation_parses_strictly_and_validates_against_the_onvif_schemas():
    transport = RecordingTransport()
    camera, seen = await _run([CameraConfig(name="cam-1")],
                           lambda base: _exercise_every_operation(base, transport))
    assert transport.assert_all_valid() == [
        "GetSystemDateAndTimeResponse", "GetDeviceInformationResponse", "GetCapabilitiesResponse",
        "GetServicesResponse", "GetServiceCapabilitiesResponse", "GetScopesResponse", "GetHostnameResponse",
        "GetNetworkInterfacesResponse", "GetServiceCapabilitiesResponse", "GetVideoSourcesResponse",
        "GetVideoSourceConfigurationsResponse", "GetVideoEncoderConfigurationsResponse", "GetProfilesResponse",
        "GetProfileResponse", "GetStreamUriResponse", "GetSnapshotUriResponse", "GetServiceCapabilitiesResponse",
        "GetNodesResponse", "GetPresetsResponse", "GotoPresetResponse", "GetStatusResponse",
        "GetServiceCapabilitiesResponse", "GetEventPropertiesResponse", "CreatePullPointSubscriptionResponse",
        "PullMessagesResponse", "SetSynchronizationPointResponse", "PullMessagesResponse", "RenewResponse",
        "UnsubscribeResponse",
    ]
    # device
    assert seen["time"].UTCDateTime.Date.Year >= 2024
    assert seen["info"].Model == "SimCam-1"
    assert seen["capabilities"].Events.WSPullPointSupport is True
    assert seen["capabilities"].Media.XAddr.endswith("/onvif/media_service")
    services = {s.Namespace: s for s in seen["services"]}
    assert set(services) == {SERVICES[n]["ns"] for n in ("devicemgmt", "media", "events", "ptz")}
    assert services[SERVICES["events"]["ns"]].Capabilities._value_1.get("WSPullPointSupport") == "true"
    assert seen["device_caps"].Security.UsernameToken is True
    assert "onvif://www.onvif.org/name/cam-1" in {s.ScopeItem for s in seen["scopes"]}
    assert seen["hostname"].Name == "cam-1"
    interface = seen["interfaces"][0]
    assert interface.Enabled and interface.Info.HwAddress == camera.mac
    assert interface.IPv4.Config.Manual[0].Address == "127.0.0.1"
    # media: what the third-party client that crashed needs
    assert seen["media_caps"].SnapshotUri is True
    assert [(s.token, s.Resolution.Width, s.Resolution.Height) for s in seen["sources"]] == [("vs1", 1920, 1080)]
    main, sub = seen["profiles"]
    assert main.VideoSourceConfiguration.SourceToken == "vs1"
    encoder = main.VideoEncoderConfiguration
    assert (encoder.Encoding, encoder.Resolution.Width, encoder.Resolution.Height) == ("H264", 1920, 1080)
    assert (encoder.RateControl.FrameRateLimit, encoder.RateControl.BitrateLimit, encoder.H264.H264Profile) == (25, 4096, "High")
    assert main.PTZConfiguration.NodeToken == seen["nodes"][0].token
    assert seen["profile"].token == sub.token and seen["profile"].VideoEncoderConfiguration.Resolution.Width == 640
    assert [c.token for c in seen["encoder_configs"]] == [main.VideoEncoderConfiguration.token, sub.VideoEncoderConfiguration.token]
    assert seen["source_configs"][0].token == main.VideoSourceConfiguration.token
    assert seen["stream"].Uri == "rtsp://127.0.0.1:554/cam-1/main"
    assert seen["snapshot"].Uri.endswith("/onvif/snapshot.jpg")
    # PTZ: the move is recorded, and GetStatus says where the head now points
    assert [p.token for p in seen["presets"]] == ["1", "2", "3"]
    preset_2 = seen["presets"][1].PTZPosition
    assert (seen["status"].Position.PanTilt.x, seen["status"].Position.Zoom.x) == (preset_2.PanTilt.x, preset_2.Zoom.x)
    assert seen["status"].MoveStatus.PanTilt == "IDLE"
    assert [(m.profile, m.preset) for m in camera.ptz.moves] == [(main.token, "2")]
    # events: the topic set is what the camera really sends, each property reported at subscribe
    assert seen["event_caps"].WSPullPointSupport is True
    listed = topic_set_leaves(seen["event_properties"].TopicSet._value_1)
    assert listed == {k.topic: (k.source_name, k.data_name) for k in EVENT_KINDS.values()}
    pulled = [m.Message._value_1 for m in seen["pull"].NotificationMessage]
    assert {m.get("PropertyOperation") for m in pulled} == {"Initialized"}
    # zeep drops the text of a mixed-content TopicExpression: read the topics from the raw answer
    pull_answer = next(body for url, _, body in transport.answers if b"PullMessagesResponse" in body)
    topics = etree.fromstring(pull_answer).findall(".//{http://docs.oasis-open.org/wsn/b-2}Topic")
    assert {t.text for t in topics} == set(listed) and len(topics) == len(listed)
    assert len(seen["pull_again"].NotificationMessage) == len(listed)  # SetSynchronizationPoint re-sends them
    assert seen["subscription"].TerminationTime > seen["subscription"].CurrentTime
    assert seen["renew"].TerminationTime > seen["subscription"].TerminationTime


def _unsupported_calls(base: str, transport: RecordingTransport) -> list[zeep.exceptions.Fault]:
    device = _service(transport, "devicemgmt", f"{base}/onvif/device_service")
    media = _service(transport, "media", f"{base}/onvif/media_service")
    ptz = _service(transport, "ptz", f"{base}/onvif/ptz_service")
    faults = []
    for call in (device.GetDNS, media.GetAudioSources, ptz.GetNodes, device.GetCapabilities):
        with pytest.raises(zeep.exceptions.Fault) as fault:
            call()
        faults.append(fault.value)
    return faults


async def test_unsupported_operations_are_soap_12_receiver_faults_with_http_500():
    transport = RecordingTransport()
    _, faults = await _run([CameraConfig(name="cam-1", ptz=False, legacy_capabilities=False)],
                           lambda base: _unsupported_calls(base, transport))
    assert transport.assert_all_valid() == ["Fault"] * 4  # checks the shape and status 500 too
    assert [status for _, status, _ in transport.answers] == [500] * 4
    for fault in faults:
        assert fault.code.endswith("Receiver")
        assert [(q.namespace, q.localname) for q in fault.subcodes] == [(_ERRORS, "ActionNotSupported")]
        assert "Optional Action Not Implemented" in fault.message
