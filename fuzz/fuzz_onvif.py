"""Fuzz target for the ONVIF parsers of device traffic: SOAP envelopes, PullMessages answers,
notifications and WS-Discovery messages. Only SoapError may escape them.

Run with atheris: ``python fuzz/fuzz_onvif.py`` (tests feed it hypothesis binaries too).
"""
from __future__ import annotations

import sys

from adapters.onvif import discovery, pullpoint
from adapters.onvif.mapping import EventStateTracker
from adapters.onvif.soap import SoapError, parse_envelope


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


if __name__ == "__main__":
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
