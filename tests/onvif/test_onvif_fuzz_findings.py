"""ONVIF text fields the fuzz campaign of issue 19 found: numbers are read by XML Schema's rules
(ASCII digits, a bounded range), never by ``str.isdigit``/``int``, which also take '²' and '٣'."""
from __future__ import annotations

import argparse
import asyncio

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from twisted.python import log

from adapters.onvif import discovery, pullpoint
from adapters.onvif.camera_clock import utc_offset_of_posix_tz
from adapters.onvif.discovery_cli import configure
from adapters.onvif.soap import (
    XS_UNSIGNED_INT_MAX, SoapError, build_envelope, parse_duration, parse_envelope, parse_integer,
)

_MATCH = discovery.ProbeMatch(endpoint="urn:uuid:cam-1", types=(discovery.NVT_TYPE,),
                              scopes=("onvif://www.onvif.org/name/cam-1",),
                              xaddrs=("http://127.0.0.1:8080/onvif/device_service",))


class _Camera(asyncio.DatagramProtocol):
    """Answers each Probe twice: with a MetadataVersion of ``version`` (and XAddrs ``xaddr``), then
    with a valid answer."""

    def __init__(self, version: str, xaddr: str = _MATCH.xaddrs[0]) -> None:
        self.version, self.xaddr = version, xaddr

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        message_id, _ = discovery.parse_probe(data)
        for endpoint, version, xaddr in (("urn:uuid:cam-bad", self.version, self.xaddr),
                                         ("urn:uuid:cam-1", "7", _MATCH.xaddrs[0])):
            answer = discovery.build_probe_matches("urn:uuid:answer", message_id, [
                discovery.ProbeMatch(endpoint, _MATCH.types, _MATCH.scopes, (xaddr,))])
            self.transport.sendto(answer.replace(b"<wsd:MetadataVersion>1<", f"<wsd:MetadataVersion>{version}<".encode()),
                                  addr)


@pytest.mark.parametrize("version, xaddr", [
    *((version, _MATCH.xaddrs[0]) for version in ["²", "٣", "1_0", "4294967296", "9" * 5000, "-1"]),
    # found by fuzz_onvif_fields: a port urllib cannot read crashed the config snippet
    ("1", "http://127.0.0.1:99999/onvif/device_service"), ("1", "http://127.0.0.1:80\x7f0/onvif"),
    # and in the 90-second campaign after the fixes: a bracket urllib takes for a broken IPv6 address
    ("1", "http://127.0].0.1:99999/ovice_service")])
async def test_discover_skips_an_answer_it_cannot_use(version, xaddr, capsys):
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Camera(version, xaddr), local_addr=("127.0.0.1", 0))
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args([f"127.0.0.1:{transport.get_extra_info('sockname')[1]}", "--timeout", "0.3"])
    failures = []  # an exception in the probe's datagram handler is only logged by Twisted

    def observe(event):
        if event.get("isError"):
            failures.append(event)

    log.addObserver(observe)
    try:
        assert await args.main(args) == 0
    finally:
        log.removeObserver(observe)
        transport.close()
    assert failures == []
    output = capsys.readouterr().out
    assert [d["id"] for d in yaml.safe_load(output)["devices"]] == ["cam-1"]


@pytest.mark.parametrize("text, value", [("7", 7), (" +7 ", 7), ("007", 7), ("4294967295", 4294967295)])
def test_metadata_version_reads_xml_schema_unsigned_ints(text, value):
    answer = discovery.build_probe_matches("urn:uuid:a", "urn:uuid:p", [_MATCH]).replace(
        b"<wsd:MetadataVersion>1<", f"<wsd:MetadataVersion>{text}<".encode())
    assert discovery.parse_probe_matches(answer)[1][0].metadata_version == value


@pytest.mark.parametrize("limit", ["٣", "²", "1_0", "9" * 5000, "0", "-3"])
def test_pull_messages_message_limit_is_an_xml_schema_positive_int(limit):
    request = build_envelope(f"<tev:PullMessages><tev:Timeout>PT1S</tev:Timeout>"
                             f"<tev:MessageLimit>{limit}</tev:MessageLimit></tev:PullMessages>")
    with pytest.raises(SoapError):
        pullpoint.parse_pull_messages_request(parse_envelope(request).body)


@pytest.mark.parametrize("text", ["PT٣S", "PT1.٣S", "P²D", "PT²H"])
def test_durations_take_ascii_digits_only(text):
    with pytest.raises(SoapError):
        parse_duration(text)


@pytest.mark.parametrize("zone", ["CST-٨", "UTC٠", "<+08>-٨"])
def test_posix_time_zones_take_ascii_digits_only(zone):
    assert utc_offset_of_posix_tz(zone) is None


@given(st.integers(0, XS_UNSIGNED_INT_MAX), st.sampled_from(["", "+", "0", " ", "\n"]))
def test_xml_schema_integers_round_trip(value, decoration):
    text = f"{decoration}{value}" if decoration.strip() else f"{decoration}{value}{decoration}"
    assert parse_integer(text, "n", minimum=0, maximum=XS_UNSIGNED_INT_MAX) == value


@given(st.text(max_size=50))
def test_xml_schema_integers_refuse_with_soap_error_only(text):
    try:
        value = parse_integer(text, "n", minimum=-5, maximum=5)
    except SoapError:
        return
    assert -5 <= value <= 5 and text.strip(" \t\r\n").lstrip("+-").isascii()
