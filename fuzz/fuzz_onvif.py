"""The ONVIF parsers of device traffic on raw bytes: SOAP envelopes, PullMessages answers,
notifications and WS-Discovery messages. Only SoapError may escape them.
(``fuzz_onvif_fields`` keeps the XML valid and fuzzes the text inside it.)
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from adapters.onvif import discovery, pullpoint  # noqa: E402
from adapters.onvif.mapping import EventStateTracker  # noqa: E402
from adapters.onvif.soap import SoapError, parse_envelope  # noqa: E402
from fuzz.onvif_messages import messages  # noqa: E402


def TestOneInput(data: bytes) -> None:
    try:
        envelope = parse_envelope(data)
    except SoapError:
        envelope = None
    if envelope is not None:
        for parse in (pullpoint.parse_pull_messages_response, pullpoint.parse_create_subscription_response,
                      pullpoint.parse_renew_response):
            try:
                result = parse(envelope)
            except SoapError:
                continue
            if isinstance(result, pullpoint.PullResult):
                tracker = EventStateTracker()
                for notification in result.notifications:
                    tracker.feed(notification)
    for parse in (discovery.parse_probe, discovery.parse_probe_matches):
        try:
            parse(data)
        except SoapError:
            pass


def seeds() -> dict[str, bytes]:
    found = messages()
    # issue 19: a MetadataVersion that str.isdigit accepts and int() refuses
    found["issue19-metadata-version-superscript"] = found["probe-matches"].replace(
        b"<wsd:MetadataVersion>3<", "<wsd:MetadataVersion>²<".encode())
    return found


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput, packages=("lxml",))
