"""Sans-IO ONVIF codecs: round trips, golden messages, tracker rules, and garbage in."""
from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zeep.wsse.username import UsernameToken

from adapters.onvif import discovery, pullpoint
from adapters.onvif.camera_clock import utc_offset_of_posix_tz
from adapters.onvif.events import Notification
from adapters.onvif.mapping import EventStateTracker, rule_for
from adapters.onvif.soap import (
    AuthError, SoapError, build_envelope, build_fault, format_duration, parse_duration, parse_envelope,
    parse_xml, verify_username_token,
)
from fuzz.fuzz_onvif import TestOneInput
from hub.events import Category, State
from simulators.camera.answers.device import posix_tz

_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
_items = st.lists(st.tuples(_text.filter(bool), _text), max_size=4).map(tuple)
_notifications = st.builds(
    Notification,
    topic=st.sampled_from(["tns1:VideoSource/MotionAlarm", "tns1:Device/Trigger/DigitalInput", "tns1:Vendor/X"]),
    utc_time=st.integers(0, 4_000_000_000_000).map(lambda ms: ms / 1000),
    operation=st.sampled_from(["Initialized", "Changed", "Deleted", ""]),
    source=_items, data=_items,
)


@given(st.lists(_notifications, max_size=5), st.integers(0, 4_000_000_000), st.integers(1, 10**6))
def test_pull_messages_response_round_trip(notifications, now, lifetime):
    answer = build_envelope(pullpoint.pull_messages_response(now, now + lifetime, notifications))
    result = pullpoint.parse_pull_messages_response(parse_envelope(answer))
    assert result.notifications == tuple(notifications)
    assert (result.current_time, result.termination_time) == (now, now + lifetime)
    assert result.rejected == ()


@given(st.integers(0, 4_000_000_000), st.integers(1, 10**6))
def test_subscription_and_renew_round_trip(now, lifetime):
    address = "http://127.0.0.1:8080/onvif/subscription/7-1"
    created = pullpoint.parse_create_subscription_response(parse_envelope(build_envelope(
        pullpoint.create_subscription_response(address, now, now + lifetime))))
    assert created == pullpoint.Subscription(address, now, now + lifetime)
    assert pullpoint.parse_renew_response(parse_envelope(build_envelope(
        pullpoint.renew_response(now, now + lifetime)))) == (now + lifetime, now)


@given(st.floats(0, 10**6, allow_nan=False).map(lambda f: round(f, 3)))
def test_duration_round_trip(seconds):
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, rel=1e-5, abs=1e-3)


def test_pull_request_parses_on_the_server_side():
    body = parse_envelope(build_envelope(pullpoint.pull_messages_request(2.5, 40))).body
    assert pullpoint.parse_pull_messages_request(body) == (2.5, 40)
    assert parse_duration("P1DT2H3M4.5S") == 93784.5


@given(st.binary(max_size=2048))
def test_fuzz_target_accepts_arbitrary_bytes(data):
    TestOneInput(data)


@given(st.binary(max_size=512))
def test_parsers_raise_only_soap_error(data):
    for parse in (parse_envelope, discovery.parse_probe, discovery.parse_probe_matches):
        try:
            parse(data)
        except SoapError:
            pass


GOLDEN_PULL = b"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
  xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"
  xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tns1="http://www.onvif.org/ver10/topics">
 <SOAP-ENV:Body><tev:PullMessagesResponse>
  <tev:CurrentTime>2026-11-22T10:00:05Z</tev:CurrentTime><tev:TerminationTime>2026-11-22T10:10:05Z</tev:TerminationTime>
  <wsnt:NotificationMessage>
   <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:RuleEngine/CellMotionDetector/Motion</wsnt:Topic>
   <wsnt:Message><tt:Message UtcTime="2026-11-22T10:00:04.250Z" PropertyOperation="Changed">
    <tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VideoSourceToken"/>
     <tt:SimpleItem Name="Rule" Value="MyMotionDetectorRule"/></tt:Source>
    <tt:Data><tt:SimpleItem Name="IsMotion" Value="true"/></tt:Data>
   </tt:Message></wsnt:Message>
  </wsnt:NotificationMessage>
  <wsnt:NotificationMessage>
   <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet" xmlns:x="http://www.onvif.org/ver10/topics">x:VideoSource/SignalLoss</wsnt:Topic>
   <wsnt:Message><tt:Message UtcTime="not a time"/></wsnt:Message>
  </wsnt:NotificationMessage>
 </tev:PullMessagesResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"""


def test_golden_pull_answer_in_a_vendors_prefixes():
    result = pullpoint.parse_pull_messages_response(parse_envelope(GOLDEN_PULL))
    (motion,) = result.notifications
    assert motion.topic == "tns1:RuleEngine/CellMotionDetector/Motion"
    assert motion.data_value("IsMotion") == "true" and motion.utc_time == 1795341604.25
    assert motion.source_key == "VideoSourceConfigurationToken=VideoSourceToken,Rule=MyMotionDetectorRule"
    assert result.rejected[0][0] == "x:VideoSource/SignalLoss" and "dateTime" in result.rejected[0][1]
    event = EventStateTracker().feed(motion)
    assert (event.type, event.state) == ("video.motion", State.STATE_RAISED)


@pytest.mark.parametrize("document", [
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>',
    b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://203.0.113.1/evil.dtd"><r/>',
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    b"<r>" * 10_000 + b"</r>" * 10_000,
    b"<r>" + b"A" * 300_000 + b"</r>",
])
def test_hostile_documents_are_refused(document):
    with pytest.raises(SoapError):
        parse_xml(document)


def test_faults_are_data_with_subcodes():
    envelope = parse_envelope(build_fault("env:Sender", ["ter:NotAuthorized"], "Sender not Authorized"))
    assert envelope.fault.code == "env:Sender" and envelope.fault.subcodes == ("ter:NotAuthorized",)


def test_zeep_digest_tokens_verify_and_tampering_fails():
    from lxml import etree

    envelope = etree.fromstring(build_envelope("<x/>", "<y/>"))
    UsernameToken("admin", "s3cret", use_digest=True).apply(envelope, {})
    header = envelope.find("{http://www.w3.org/2003/05/soap-envelope}Header")
    import time
    assert verify_username_token(header, {"admin": "s3cret"}, now=time.time(), max_age=60)[0] == "admin"
    with pytest.raises(AuthError, match="wrong username or password"):
        verify_username_token(header, {"admin": "other"}, now=time.time(), max_age=60)
    with pytest.raises(AuthError, match="off the device clock"):
        verify_username_token(header, {"admin": "s3cret"}, now=time.time() + 3600, max_age=60)
    nonce = header.find(".//{*}Nonce")
    nonce.getparent().remove(nonce)
    with pytest.raises(AuthError, match="lacks Nonce"):
        verify_username_token(header, {"admin": "s3cret"}, now=time.time(), max_age=60)
    assert base64  # (vector test lives in the simulator suite)


def _n(topic, operation, value, name="State"):
    return Notification(topic=topic, utc_time=0.0, operation=operation, source=(("Source", "1"),), data=((name, value),))


@given(st.lists(st.tuples(st.sampled_from(["Initialized", "Changed", "Deleted"]), st.booleans()), max_size=30))
def test_tracker_never_raises_on_initialized_and_alternates(ops):
    tracker = EventStateTracker()
    emitted = []
    for operation, active in ops:
        event = tracker.feed(_n("tns1:VideoSource/SignalLoss", operation, "true" if active else "false"))
        if operation == "Initialized":
            assert event is None or event.state == State.STATE_CLEARED
        if event is not None:
            emitted.append(event.state)
    assert all(a != b for a, b in zip(emitted, emitted[1:]))  # raised and cleared alternate
    assert not emitted or emitted[0] == State.STATE_RAISED


def test_mapping_table_covers_the_issue_topics():
    expected = {
        "tns1:VideoSource/MotionAlarm": "video.motion",
        "tns1:RuleEngine/CellMotionDetector/Motion": "video.motion",
        "tns1:VideoSource/GlobalSceneChange/ImagingService": "video.tamper",
        "tns1:VideoSource/GlobalSceneChange/AnalyticsService": "video.tamper",
        "tns1:RuleEngine/TamperDetector/Tamper": "video.tamper",
        "tns1:VideoSource/SignalLoss": "video.signal_loss",
        "tns1:Device/Trigger/DigitalInput": "video.alarm_input",
        "tns1:Device/Trigger/Relay": "video.relay",
        "tns1:Vendor/Unknown": "video.event",
    }
    assert {topic: rule_for(topic).type for topic in expected} == expected
    unknown = EventStateTracker().feed(Notification("tns1:Vendor/Unknown", 0.0, "Changed", (), (("Level", "7"),)))
    assert (unknown.state, unknown.category, unknown.attributes["data.Level"]) == (
        State.STATE_MOMENTARY, Category.CATEGORY_VIDEO, "7")
    assert EventStateTracker().feed(Notification("tns1:Vendor/Unknown", 0.0, "Initialized", (), ())) is None


def test_relay_active_inactive_values():
    tracker = EventStateTracker()
    assert tracker.feed(_n("tns1:Device/Trigger/Relay", "Changed", "active", "LogicalState")).state == State.STATE_RAISED
    assert tracker.feed(_n("tns1:Device/Trigger/Relay", "Changed", "inactive", "LogicalState")).state == State.STATE_CLEARED


def test_discovery_round_trip():
    match = discovery.ProbeMatch("urn:uuid:1", (discovery.NVT_TYPE,), ("onvif://www.onvif.org/name/gate",),
                                 ("http://10.0.0.5/onvif/device_service",), 3)
    assert discovery.parse_probe(discovery.build_probe("urn:uuid:p")) == ("urn:uuid:p", (discovery.NVT_TYPE,))
    assert discovery.parse_probe_matches(discovery.build_probe_matches("urn:uuid:m", "urn:uuid:p", [match])) == (
        "urn:uuid:p", [match])
    assert match.scope("name") == "gate"


@pytest.mark.parametrize("tz,east", [("CST-8", 8 * 3600), ("UTC0", 0), ("PST8", -8 * 3600), ("JST-9", 9 * 3600),
                                     ("<+0530>-5:30", 19800), ("<-03>3", -3 * 3600), ("GMT+0", 0)])
def test_posix_time_zones_without_daylight_saving_give_their_offset(tz, east):
    assert utc_offset_of_posix_tz(tz) == east


@pytest.mark.parametrize("tz", ["EST5EDT,M3.2.0,M11.1.0", "CET-1CEST,M3.5.0,M10.5.0/3", "Asia/Shanghai", "", "UTC"])
def test_posix_time_zones_with_daylight_saving_or_unreadable_are_not_guessed(tz):
    assert utc_offset_of_posix_tz(tz) is None


@given(st.floats(-12, 14).map(lambda h: round(h * 4) / 4))
def test_the_simulators_time_zones_read_back_as_their_offset(hours):
    assert utc_offset_of_posix_tz(posix_tz(hours)) == round(hours * 3600)
