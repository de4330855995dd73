"""Property tests of the simulator's operation table: whatever a client puts in a request body,
every operation answers with a schema-valid body or a SOAP fault, never a crash."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from twisted.internet import defer, reactor

from adapters.onvif.soap import NS, SoapError, build_envelope
from simulators.camera.camera import CameraConfig, SimulatedCamera
from simulators.camera.operations import SUBSCRIPTION_PREFIX, CameraOperations, SoapFault
from tests.onvif.onvif_schema import assert_valid_answer

_OPERATIONS = [
    ("tds", "GetSystemDateAndTime"), ("tds", "GetDeviceInformation"), ("tds", "GetCapabilities"),
    ("tds", "GetServices"), ("tds", "GetServiceCapabilities"), ("tds", "GetScopes"), ("tds", "GetHostname"),
    ("tds", "GetNetworkInterfaces"), ("trt", "GetServiceCapabilities"), ("trt", "GetVideoSources"),
    ("trt", "GetProfiles"), ("trt", "GetProfile"), ("trt", "GetStreamUri"), ("trt", "GetSnapshotUri"),
    ("tev", "GetServiceCapabilities"), ("tev", "GetEventProperties"), ("tev", "CreatePullPointSubscription"),
    ("tptz", "GetServiceCapabilities"), ("tptz", "GetNodes"), ("tptz", "GetPresets"), ("tptz", "GetStatus"),
    ("tptz", "GotoPreset"), ("tev", "PullMessages"), ("wsnt", "Renew"), ("tev", "SetSynchronizationPoint"),
    ("wsnt", "Unsubscribe"), ("tds", "GetDNS"), ("trt", "Bogus"),
]
_FIELDS = [("trt", "ProfileToken"), ("tptz", "ProfileToken"), ("tptz", "PresetToken"), ("tds", "IncludeCapability"),
           ("tev", "InitialTerminationTime"), ("tev", "Timeout"), ("tev", "MessageLimit"), ("wsnt", "TerminationTime")]
_TEXT = st.one_of(
    st.sampled_from(["profile_1", "profile_2", "1", "2", "true", "PT10S", "PT0S", "P99999999Y", "PT1E9S", "-PT5S",
                     "2020-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "10", "-1", "99999999999999999999"]),
    st.text(max_size=20),
)


@st.composite
def _requests(draw):
    prefix, name = draw(st.sampled_from(_OPERATIONS))
    body = etree.Element(f"{{{NS[prefix]}}}{name}", nsmap=NS)
    for field_prefix, field in draw(st.lists(st.sampled_from(_FIELDS), max_size=4)):
        text = draw(_TEXT)
        if all(ch.isprintable() for ch in text):
            etree.SubElement(body, f"{{{NS[field_prefix]}}}{field}").text = text
    return body, draw(st.booleans())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_requests())
def test_every_operation_answers_a_valid_body_or_a_fault(request):
    body, on_subscription = request
    camera = SimulatedCamera(CameraConfig(name="cam-1", max_pull_timeout=0.0), reactor)
    operations = CameraOperations(camera, base_url=lambda: "http://127.0.0.1:8080", rtsp_host="127.0.0.1",
                                  echo=lambda line: None)
    sub = camera.subscribe(camera.now() + 60)
    path = f"{SUBSCRIPTION_PREFIX}{sub.id}" if on_subscription else "/onvif/device_service"
    try:
        answer = operations.handle(path, body)
    except (SoapFault, SoapError):
        return
    if isinstance(answer, defer.Deferred):
        outcome = []
        answer.addBoth(outcome.append)
        answer.cancel()  # a pull waiting for events: no reactor runs in this test
        if not outcome or isinstance(outcome[0], defer.Failure):
            return
        answer = outcome[0]
    assert_valid_answer(build_envelope(answer), 200)
