"""Who sent an SNMP datagram: a minimal, strict BER reader for the message header (sans-IO).

pysnmp decodes and authenticates messages; when it rejects one (bad BER, unknown community or
user, wrong keys) it only bumps a counter. :func:`peek_envelope` reads just the header (version,
community or v3 user / engine id, PDU type) so a rejection can be logged with what the sender
claimed to be. It never decrypts or trusts anything: it is for diagnostics and attribution only.
"""
from __future__ import annotations

import dataclasses

VERSION_NAMES = {0: "v1", 1: "v2c", 3: "v3"}
PDU_NAMES = {
    0xA0: "get", 0xA1: "getnext", 0xA2: "response", 0xA3: "set", 0xA4: "trap-v1",
    0xA5: "getbulk", 0xA6: "inform", 0xA7: "trap", 0xA8: "report",
}
_SEQUENCE, _INTEGER, _OCTET_STRING = 0x30, 0x02, 0x04
MAX_MESSAGE = 65535


class EnvelopeError(ValueError):
    """The datagram is not a well-formed SNMP message header."""


@dataclasses.dataclass(frozen=True)
class Envelope:
    version: int
    community: bytes | None = None  # v1 / v2c
    pdu_type: str | None = None  # v1 / v2c, and v3 when the scoped PDU is not encrypted
    user: bytes | None = None  # v3 msgUserName
    engine_id: bytes | None = None  # v3 msgAuthoritativeEngineID
    flags: int | None = None  # v3 msgFlags: 1 auth, 2 priv, 4 reportable

    @property
    def version_name(self) -> str:
        return VERSION_NAMES.get(self.version, str(self.version))

    @property
    def is_discovery(self) -> bool:
        """An SNMPv3 engine-id discovery probe (empty user, no auth): answered with a report."""
        return self.version == 3 and not self.user and not (self.flags or 0) & 1


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Read one TLV header at ``pos``: returns (tag, value start, value end)."""
    if pos + 2 > end:
        raise EnvelopeError("truncated TLV header")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise EnvelopeError("high tag numbers are not used by SNMP")
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise EnvelopeError("indefinite length is not allowed in SNMP")
    else:
        count = first & 0x7F
        if count > 4 or pos + count > end:
            raise EnvelopeError("bad long-form length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > end:
        raise EnvelopeError(f"length {length} runs past the end of its container")
    return tag, pos, pos + length


def _expect(data: bytes, pos: int, end: int, tag: int, what: str) -> tuple[int, int]:
    got, start, stop = _tlv(data, pos, end)
    if got != tag:
        raise EnvelopeError(f"{what}: expected tag 0x{tag:02x}, got 0x{got:02x}")
    return start, stop


def _integer(data: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    start, stop = _expect(data, pos, end, _INTEGER, what)
    if not 1 <= stop - start <= 8:
        raise EnvelopeError(f"{what}: bad integer length")
    return int.from_bytes(data[start:stop], "big", signed=True), stop


def peek_envelope(datagram: bytes) -> Envelope:
    """Parse the SNMP message header; raises :class:`EnvelopeError` (only) on anything malformed."""
    if not isinstance(datagram, (bytes, bytearray)) or len(datagram) > MAX_MESSAGE:
        raise EnvelopeError("not an SNMP datagram")
    data = bytes(datagram)
    start, end = _expect(data, 0, len(data), _SEQUENCE, "message")
    version, pos = _integer(data, start, end, "version")
    if version in (0, 1):
        community_start, pos = _expect(data, pos, end, _OCTET_STRING, "community")
        tag, _, _ = _tlv(data, pos, end)
        return Envelope(version, community=data[community_start:pos], pdu_type=PDU_NAMES.get(tag, f"0x{tag:02x}"))
    if version != 3:
        raise EnvelopeError(f"unknown SNMP version {version}")
    header_start, header_end = _expect(data, pos, end, _SEQUENCE, "msgGlobalData")
    _, cursor = _integer(data, header_start, header_end, "msgID")
    _, cursor = _integer(data, cursor, header_end, "msgMaxSize")
    flags_start, flags_end = _expect(data, cursor, header_end, _OCTET_STRING, "msgFlags")
    if flags_end - flags_start != 1:
        raise EnvelopeError("msgFlags must be one octet")
    flags = data[flags_start]
    security_start, pos = _expect(data, header_end, end, _OCTET_STRING, "msgSecurityParameters")
    usm_start, usm_end = _expect(data, security_start, pos, _SEQUENCE, "UsmSecurityParameters")
    engine_start, cursor = _expect(data, usm_start, usm_end, _OCTET_STRING, "msgAuthoritativeEngineID")
    engine_id = data[engine_start:cursor]
    _, cursor = _integer(data, cursor, usm_end, "msgAuthoritativeEngineBoots")
    _, cursor = _integer(data, cursor, usm_end, "msgAuthoritativeEngineTime")
    user_start, cursor = _expect(data, cursor, usm_end, _OCTET_STRING, "msgUserName")
    user = data[user_start:cursor]
    pdu_type = None
    if not flags & 2:  # plaintext scoped PDU: SEQUENCE { contextEngineID, contextName, PDU }
        scoped_start, scoped_end = _expect(data, pos, end, _SEQUENCE, "ScopedPDU")
        _, cursor = _expect(data, scoped_start, scoped_end, _OCTET_STRING, "contextEngineID")
        _, cursor = _expect(data, cursor, scoped_end, _OCTET_STRING, "contextName")
        tag, _, _ = _tlv(data, cursor, scoped_end)
        pdu_type = PDU_NAMES.get(tag, f"0x{tag:02x}")
    return Envelope(3, pdu_type=pdu_type, user=user, engine_id=engine_id, flags=flags)
