"""Fuzz target for the camera simulator's request handling: any bytes a client posts, parsed as a
SOAP envelope and handed to every operation (on a service path and on a pull point), may only end
in an answer body or a SOAP fault (SoapFault / SoapError), never in another exception.

Run with atheris: ``python -m fuzz.fuzz_camera_requests`` (tests feed it hypothesis binaries too).
"""
from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # the simulator's operations need the asyncio reactor
    sys.path[:0] = [str(Path(__file__).resolve().parents[1])]
    from hub import reactor
    reactor.install()

from lxml import etree

from adapters.onvif.soap import SoapError, build_envelope, parse_envelope
from simulators.camera.camera import CameraConfig, SimulatedCamera
from simulators.camera.operations import SUBSCRIPTION_PREFIX, CameraOperations, SoapFault

__all__ = ["TestOneInput", "answer", "fresh_operations", "seeds"]


def fresh_operations() -> tuple[CameraOperations, str]:
    """The operations of a new camera, and the path of a pull point it has (with its initial state)."""
    from twisted.internet import reactor  # at call time: the test suite installs its reactor first

    camera = SimulatedCamera(CameraConfig(name="cam-1", max_pull_timeout=0.0), reactor)
    operations = CameraOperations(camera, base_url=lambda: "http://127.0.0.1:8080", host="127.0.0.1",
                                  rtsp_host="127.0.0.1", echo=lambda line: None)
    subscription = camera.subscribe(camera.now() + 60)
    return operations, f"{SUBSCRIPTION_PREFIX}{subscription.id}"


def answer(operations: CameraOperations, path: str, body: etree._Element) -> str | None:
    """The answer body for ``body`` at ``path``; None when the camera answers with a fault."""
    from twisted.internet import defer

    try:
        result = operations.handle(path, body)
    except (SoapFault, SoapError):
        return None
    if isinstance(result, defer.Deferred):  # a pull: it fires at once if messages wait
        outcome: list = []
        result.addBoth(outcome.append)
        result.cancel()  # else it would wait for events; no reactor runs here
        if not outcome or isinstance(outcome[0], defer.Failure):
            if outcome and not outcome[0].check(defer.CancelledError, SoapFault, SoapError):
                outcome[0].raiseException()
            return None
        result = outcome[0]
    return result


def TestOneInput(data: bytes) -> None:
    try:
        envelope = parse_envelope(data)
    except SoapError:
        return
    if envelope.body is None:
        return
    operations, subscription_path = fresh_operations()
    for path in ("/onvif/device_service", subscription_path):
        body = answer(operations, path, envelope.body)
        if body is not None:
            build_envelope(body)


def _request(body: str) -> bytes:
    return (f'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>{body}</s:Body>'
            "</s:Envelope>").encode()


def seeds() -> dict[str, bytes]:
    device, media = "http://www.onvif.org/ver10/device/wsdl", "http://www.onvif.org/ver10/media/wsdl"
    events, ptz = "http://www.onvif.org/ver10/events/wsdl", "http://www.onvif.org/ver20/ptz/wsdl"
    return {
        "get-device-information": _request(f'<GetDeviceInformation xmlns="{device}"/>'),
        "get-profiles": _request(f'<GetProfiles xmlns="{media}"/>'),
        "get-snapshot-uri": _request(f'<GetSnapshotUri xmlns="{media}"><ProfileToken>main</ProfileToken>'
                                     "</GetSnapshotUri>"),
        "get-event-properties": _request(f'<GetEventProperties xmlns="{events}"/>'),
        "pull-messages": _request(f'<PullMessages xmlns="{events}"><Timeout>PT1S</Timeout>'
                                  "<MessageLimit>10</MessageLimit></PullMessages>"),
        "goto-preset": _request(f'<GotoPreset xmlns="{ptz}"><ProfileToken>main</ProfileToken>'
                                "<PresetToken>1</PresetToken></GotoPreset>"),
        "unsupported": _request(f'<SetHostname xmlns="{device}"><Name>x</Name></SetHostname>'),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput, packages=("simulators.camera", "lxml"))
