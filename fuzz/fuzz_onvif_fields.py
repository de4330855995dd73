"""Text fields inside *valid* ONVIF messages: numbers (Unicode digits, huge ones, signs), times,
durations, topics, item names and values, addresses, scopes and time zones.

Input: one byte picks a message template, the rest is its field values separated by NUL bytes
(UTF-8, XML-escaped before they go in), so every input is well-formed XML that reaches the
field parsers. Contract: only SoapError escapes the parsers, and what they accept is usable
(``campus-hub discover onvif`` can turn any accepted ProbeMatch into a config snippet).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from adapters.onvif import discovery, pullpoint  # noqa: E402
from adapters.onvif.camera_clock import utc_offset_of_posix_tz  # noqa: E402
from adapters.onvif.discovery_cli import device_snippets  # noqa: E402
from adapters.onvif.mapping import EventStateTracker  # noqa: E402
from adapters.onvif.soap import SoapError, build_envelope, escape, parse_envelope, quoteattr  # noqa: E402

_DISCOVERY_NS = ('xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
                 'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
                 'xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery"')
_ACTION = "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches"


def _probe_matches(f: list[str]) -> bytes:
    return (f'<env:Envelope {_DISCOVERY_NS}><env:Header><wsa:Action>{_ACTION}</wsa:Action>'
            f'<wsa:RelatesTo>{f[0]}</wsa:RelatesTo></env:Header><env:Body><wsd:ProbeMatches><wsd:ProbeMatch>'
            f'<wsa:EndpointReference><wsa:Address>{f[1]}</wsa:Address></wsa:EndpointReference>'
            f'<wsd:Types>{f[2]}</wsd:Types><wsd:Scopes>{f[3]}</wsd:Scopes><wsd:XAddrs>{f[4]}</wsd:XAddrs>'
            f'<wsd:MetadataVersion>{f[5]}</wsd:MetadataVersion></wsd:ProbeMatch></wsd:ProbeMatches>'
            '</env:Body></env:Envelope>').encode()


def _pull_messages_response(f: list[str]) -> bytes:
    return build_envelope(
        f"<tev:PullMessagesResponse><tev:CurrentTime>{f[0]}</tev:CurrentTime>"
        f"<tev:TerminationTime>{f[1]}</tev:TerminationTime><wsnt:NotificationMessage>"
        f"<wsnt:Topic Dialect=\"http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet\">{f[2]}</wsnt:Topic>"
        f"<wsnt:Message><tt:Message UtcTime={quoteattr(f[3])} PropertyOperation={quoteattr(f[4])}>"
        f"<tt:Source><tt:SimpleItem Name={quoteattr(f[5])} Value={quoteattr(f[6])}/></tt:Source>"
        f"<tt:Data><tt:SimpleItem Name={quoteattr(f[7])} Value={quoteattr(f[8])}/></tt:Data>"
        "</tt:Message></wsnt:Message></wsnt:NotificationMessage></tev:PullMessagesResponse>")


def _subscription_response(f: list[str]) -> bytes:
    return build_envelope(
        f"<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa:Address>{f[0]}</wsa:Address>"
        f"</tev:SubscriptionReference><wsnt:CurrentTime>{f[1]}</wsnt:CurrentTime>"
        f"<wsnt:TerminationTime>{f[2]}</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse>")


def _renew_response(f: list[str]) -> bytes:
    return build_envelope(f"<wsnt:RenewResponse><wsnt:TerminationTime>{f[0]}</wsnt:TerminationTime>"
                          f"<wsnt:CurrentTime>{f[1]}</wsnt:CurrentTime></wsnt:RenewResponse>")


def _pull_messages_request(f: list[str]) -> bytes:
    return build_envelope(f"<tev:PullMessages><tev:Timeout>{f[0]}</tev:Timeout>"
                          f"<tev:MessageLimit>{f[1]}</tev:MessageLimit></tev:PullMessages>")


_TEMPLATES = (_probe_matches, _pull_messages_response, _subscription_response, _renew_response,
              _pull_messages_request)
_FIELDS = 9
_NOW = 1_800_000_000.0


def _check(envelope_bytes: bytes, template) -> None:
    if template is _probe_matches:
        _, matches = discovery.parse_probe_matches(envelope_bytes)
        device_snippets(matches, adapter="onvif-main", school_id="sch-1")
        return
    envelope = parse_envelope(envelope_bytes)
    if template is _pull_messages_response:
        tracker = EventStateTracker()
        for notification in pullpoint.parse_pull_messages_response(envelope).notifications:
            tracker.feed(notification)
    elif template is _subscription_response:
        pullpoint.parse_create_subscription_response(envelope)
    elif template is _renew_response:
        pullpoint.parse_renew_response(envelope)
    else:
        pullpoint.parse_pull_messages_request(envelope.body)


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    if not data:
        return
    texts = data[1:].decode("utf-8", errors="replace").split("\x00")
    texts += [""] * (_FIELDS - len(texts))
    template = _TEMPLATES[data[0] % len(_TEMPLATES)]
    try:
        _check(template([escape(text) for text in texts]), template)
    except SoapError:
        pass
    for text in texts[:2]:
        utc_offset_of_posix_tz(text)
        try:
            pullpoint.parse_termination(text, _NOW)
        except SoapError:
            pass


def _seed(index: int, *fields: str) -> bytes:
    return bytes([index]) + "\x00".join(fields).encode()


def seeds() -> dict[str, bytes]:
    return {
        "probe-matches": _seed(0, "urn:uuid:probe-1", "urn:uuid:cam-1", "dn:NetworkVideoTransmitter",
                               "onvif://www.onvif.org/name/Gate onvif://www.onvif.org/hardware/IPC-1",
                               "http://127.0.0.1:8080/onvif/device_service", "3"),
        "pull-messages-response": _seed(1, "2026-11-22T10:00:05Z", "2026-11-22T10:10:05Z",
                                        "tns1:RuleEngine/CellMotionDetector/Motion", "2026-11-22T10:00:04.250Z",
                                        "Changed", "Rule", "MyMotionDetectorRule", "IsMotion", "true"),
        "subscription-response": _seed(2, "http://127.0.0.1:8080/onvif/subscription/1", "2026-11-22T10:00:05Z",
                                       "2026-11-22T10:01:05Z"),
        "renew-response": _seed(3, "2026-11-22T10:01:05", "2026-11-22T10:00:05+08:00"),
        "pull-messages-request": _seed(4, "PT10S", "100"),
        "time-zone-and-duration": _seed(4, "CST-8", "P1DT2H3M4.5S"),
        # issue 19: Unicode digits and huge numbers where XML Schema numbers belong
        "issue19-metadata-version-superscript": _seed(0, "urn:uuid:probe-1", "urn:uuid:cam-1", "", "",
                                                      "http://127.0.0.1/", "²"),
        "issue19-message-limit-arabic-indic": _seed(4, "PT١S", "٣"),
        "issue19-huge-numbers": _seed(4, "PT" + "9" * 30 + "S", "9" * 5000),
        # found by this target: an XAddr whose port urllib cannot read crashed the config snippet
        "found-xaddr-port-out-of-range": _seed(0, "urn:uuid:probe-1", "urn:uuid:cam-1", "", "",
                                               "http://127.0.0.1:99999/onvif/device_service", "1"),
        "found-xaddr-stray-bracket": _seed(0, "urn:uuid:probe-1", "urn:uuid:cam-1", "", "",
                                           "http://127.0].0.1:99999/ovice_service", "0"),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput, packages=("lxml",))
