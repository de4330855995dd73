"""The simulator's answers, read by an independent ONVIF client: zeep with the WSDLs/XSDs shipped
by onvif-zeep, in strict mode (unexpected or misplaced elements fail the parse)."""
from __future__ import annotations

import asyncio
import os

import zeep
from onvif.definition import SERVICES
from zeep.wsse.username import UsernameToken

from adapters.onvif.client import WSDL_DIR
from simulators.camera.camera import CameraConfig
from simulators.camera.simulator import CameraSimulator


def _service(name: str, url: str, binding: str | None = None):
    definition = SERVICES[name]
    client = zeep.Client(os.path.join(WSDL_DIR, definition["wsdl"]), settings=zeep.Settings(strict=True),
                         wsse=UsernameToken("admin", "admin", use_digest=True))
    return client.create_service(f"{{{definition['ns']}}}{binding or definition['binding']}", url)


def _exercise_every_operation(base: str) -> dict:
    device = _service("devicemgmt", f"{base}/onvif/device_service")
    media = _service("media", f"{base}/onvif/media_service")
    ptz = _service("ptz", f"{base}/onvif/ptz_service")
    events = _service("events", f"{base}/onvif/event_service")
    seen = {
        "time": device.GetSystemDateAndTime(),
        "info": device.GetDeviceInformation(),
        "capabilities": device.GetCapabilities(Category="All"),
        "services": device.GetServices(IncludeCapability=False),
        "profiles": media.GetProfiles(),
    }
    token = seen["profiles"][0].token
    seen["stream"] = media.GetStreamUri(StreamSetup={"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                                        ProfileToken=token)
    seen["snapshot"] = media.GetSnapshotUri(ProfileToken=token)
    seen["preset"] = ptz.GotoPreset(ProfileToken=token, PresetToken="1")
    created = events.CreatePullPointSubscription(InitialTerminationTime="PT10S")
    seen["subscription"] = created
    address = created.SubscriptionReference.Address._value_1
    seen["pull"] = _service("pullpoint", address).PullMessages(Timeout="PT1S", MessageLimit=10)
    manager = _service("events", address, "SubscriptionManagerBinding")
    seen["renew"] = manager.Renew(TerminationTime="PT20S")
    seen["unsubscribe"] = manager.Unsubscribe()
    return seen


async def test_responses_parse_strictly_with_the_onvif_wsdls():
    sim = await CameraSimulator.start([CameraConfig(name="cam-1")])
    sim["cam-1"].camera.trigger("motion", True)  # so the pull carries an Initialized message
    try:
        seen = await asyncio.get_running_loop().run_in_executor(None, _exercise_every_operation, sim["cam-1"].base_url)
    finally:
        await sim.stop()
    assert seen["time"].UTCDateTime.Date.Year >= 2024
    assert seen["info"].Model == "SimCam-1"
    assert seen["capabilities"].Events.WSPullPointSupport is True
    assert seen["capabilities"].Media.XAddr.endswith("/onvif/media_service")
    assert {s.Namespace for s in seen["services"]} >= {SERVICES["events"]["ns"], SERVICES["media"]["ns"]}
    assert seen["profiles"][0].VideoSourceConfiguration.SourceToken == "vs1"
    assert seen["stream"].Uri.startswith("rtsp://")
    assert seen["snapshot"].Uri.endswith("/onvif/snapshot.jpg")
    assert seen["subscription"].TerminationTime > seen["subscription"].CurrentTime
    messages = seen["pull"].NotificationMessage
    assert len(messages) == 1 and messages[0].Message._value_1.attrib["PropertyOperation"] == "Initialized"
    assert seen["renew"].TerminationTime > seen["subscription"].TerminationTime
    assert seen["unsubscribe"] is None or not seen["unsubscribe"]
