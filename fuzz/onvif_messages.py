"""Valid ONVIF messages for the ONVIF targets' seeds, built with the adapter's own builders."""
from __future__ import annotations

from adapters.onvif import discovery, pullpoint
from adapters.onvif.events import Notification
from adapters.onvif.soap import build_envelope, username_token

NOW = 1_800_000_000
MOTION = Notification("tns1:RuleEngine/CellMotionDetector/Motion", NOW - 1.25, "Changed",
                      source=(("VideoSourceConfigurationToken", "VideoSourceToken"), ("Rule", "MyMotionDetectorRule")),
                      data=(("IsMotion", "true"),))
INPUT = Notification("tns1:Device/Trigger/DigitalInput", NOW, "Initialized", source=(("InputToken", "DI_0"),),
                     data=(("LogicalState", "false"),))
CAMERA = discovery.ProbeMatch("urn:uuid:cam-1", (discovery.NVT_TYPE,), (
    "onvif://www.onvif.org/name/Gate%20camera", "onvif://www.onvif.org/hardware/IPC-1"),
    ("http://127.0.0.1:8080/onvif/device_service",), metadata_version=3)


def messages() -> dict[str, bytes]:
    return {
        "pull-messages-response": build_envelope(pullpoint.pull_messages_response(NOW, NOW + 60, [MOTION, INPUT])),
        "create-subscription-response": build_envelope(pullpoint.create_subscription_response(
            "http://127.0.0.1:8080/onvif/subscription/1", NOW, NOW + 60)),
        "renew-response": build_envelope(pullpoint.renew_response(NOW, NOW + 60)),
        "pull-messages-request": build_envelope(
            pullpoint.pull_messages_request(10, 100),
            username_token("admin", "admin", created=NOW, nonce=b"0123456789abcdef")),
        "probe": discovery.build_probe("urn:uuid:probe-1"),
        "probe-matches": discovery.build_probe_matches("urn:uuid:answer-1", "urn:uuid:probe-1", [CAMERA]),
    }
