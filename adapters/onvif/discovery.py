"""Sans-IO WS-Discovery (2005/04, as ONVIF uses it): Probe and ProbeMatches, both directions.

Parsers raise only :class:`~adapters.onvif.soap.SoapError`. WS-Discovery uses the 2004/08
WS-Addressing namespace, not the 2005/08 one of the other ONVIF services.
"""
from __future__ import annotations

import dataclasses

from adapters.onvif.soap import XS_UNSIGNED_INT_MAX, SoapError, escape, parse_integer, parse_xml, text_of

__all__ = [
    "MULTICAST_GROUP", "PORT", "NVT_TYPE", "ProbeMatch", "build_probe", "parse_probe",
    "build_probe_matches", "parse_probe_matches",
]

MULTICAST_GROUP = "239.255.255.250"
PORT = 3702
NVT_TYPE = "dn:NetworkVideoTransmitter"
MAX_DATAGRAM = 65507

_NS = {
    "env": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsd": "http://schemas.xmlsoap.org/ws/2005/04/discovery",
    "dn": "http://www.onvif.org/ver10/network/wsdl",
}
_DECLS = " ".join(f'xmlns:{p}="{u}"' for p, u in _NS.items())
_ACTION = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
_TO_DISCOVERY = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
_ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"


@dataclasses.dataclass(frozen=True)
class ProbeMatch:
    endpoint: str  # urn:uuid:... of the device
    types: tuple[str, ...]
    scopes: tuple[str, ...]
    xaddrs: tuple[str, ...]
    metadata_version: int = 1

    def scope(self, kind: str) -> str:
        """Value of an ``onvif://www.onvif.org/<kind>/<value>`` scope, '' if absent."""
        prefix = f"onvif://www.onvif.org/{kind}/"
        return next((s[len(prefix):] for s in self.scopes if s.startswith(prefix)), "")


def _envelope(action: str, headers: str, body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope {_DECLS}><env:Header>'
        f"<wsa:Action>{_ACTION}/{action}</wsa:Action>{headers}</env:Header>"
        f"<env:Body>{body}</env:Body></env:Envelope>"
    ).encode()


def build_probe(message_id: str, types: str = NVT_TYPE) -> bytes:
    return _envelope(
        "Probe",
        f"<wsa:MessageID>{escape(message_id)}</wsa:MessageID><wsa:To>{_TO_DISCOVERY}</wsa:To>",
        f"<wsd:Probe><wsd:Types>{escape(types)}</wsd:Types></wsd:Probe>",
    )


def _parse(data: bytes, action: str):
    root = parse_xml(data, max_bytes=MAX_DATAGRAM)
    if root.tag != f"{{{_NS['env']}}}Envelope":
        raise SoapError("not a SOAP 1.2 envelope")
    header = root.find("env:Header", _NS)
    if text_of(header, "wsa:Action", _NS) != f"{_ACTION}/{action}":
        raise SoapError(f"not a WS-Discovery {action}")
    return root, header


def parse_probe(data: bytes) -> tuple[str, tuple[str, ...]]:
    """(MessageID, requested type QNames as written) of a Probe."""
    root, header = _parse(data, "Probe")
    message_id = text_of(header, "wsa:MessageID", _NS)
    if not message_id:
        raise SoapError("Probe without MessageID")
    types = tuple(text_of(root, "env:Body/wsd:Probe/wsd:Types", _NS).split())
    return message_id, types


def build_probe_matches(message_id: str, relates_to: str, matches: list[ProbeMatch]) -> bytes:
    body = "".join(
        f"<wsd:ProbeMatch><wsa:EndpointReference><wsa:Address>{escape(m.endpoint)}</wsa:Address>"
        f"</wsa:EndpointReference><wsd:Types>{escape(' '.join(m.types))}</wsd:Types>"
        f"<wsd:Scopes>{escape(' '.join(m.scopes))}</wsd:Scopes><wsd:XAddrs>{escape(' '.join(m.xaddrs))}</wsd:XAddrs>"
        f"<wsd:MetadataVersion>{int(m.metadata_version)}</wsd:MetadataVersion></wsd:ProbeMatch>"
        for m in matches
    )
    return _envelope(
        "ProbeMatches",
        f"<wsa:MessageID>{escape(message_id)}</wsa:MessageID><wsa:RelatesTo>{escape(relates_to)}</wsa:RelatesTo>"
        f"<wsa:To>{_ANONYMOUS}</wsa:To>",
        f"<wsd:ProbeMatches>{body}</wsd:ProbeMatches>",
    )


def parse_probe_matches(data: bytes) -> tuple[str, list[ProbeMatch]]:
    """(RelatesTo, matches) of a ProbeMatches message."""
    root, header = _parse(data, "ProbeMatches")
    matches = []
    for element in root.iterfind("env:Body/wsd:ProbeMatches/wsd:ProbeMatch", _NS):
        version = text_of(element, "wsd:MetadataVersion", _NS) or "1"
        matches.append(ProbeMatch(
            endpoint=text_of(element, "wsa:EndpointReference/wsa:Address", _NS),
            types=tuple(text_of(element, "wsd:Types", _NS).split()),
            scopes=tuple(text_of(element, "wsd:Scopes", _NS).split()),
            xaddrs=tuple(text_of(element, "wsd:XAddrs", _NS).split()),
            metadata_version=parse_integer(version, "MetadataVersion", minimum=0, maximum=XS_UNSIGNED_INT_MAX),
        ))
    return text_of(header, "wsa:RelatesTo", _NS), matches
