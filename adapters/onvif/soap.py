"""Sans-IO SOAP 1.2 for ONVIF: hardened parsing, envelopes, faults and WS-UsernameToken digests.

Shared by the adapter (client side) and the camera simulator (server side). No sockets, no clock:
callers pass ``now`` (epoch seconds) where time matters.

Every parser here raises only :class:`SoapError` (a ``ValueError``) on bad input, whatever the
bytes; a parsed SOAP fault is data (:class:`Fault`), not an exception.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

__all__ = [
    "NS", "SoapError", "AuthError", "Fault", "Envelope", "DEFAULT_MAX_BYTES",
    "parse_xml", "parse_envelope", "build_envelope", "build_fault", "text_of",
    "password_digest", "username_token", "verify_username_token",
    "format_datetime", "parse_datetime", "format_duration", "parse_duration", "parse_integer", "escape", "quoteattr",
]

NS = {
    "env": "http://www.w3.org/2003/05/soap-envelope",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "wsa": "http://www.w3.org/2005/08/addressing",
    "wsnt": "http://docs.oasis-open.org/wsn/b-2",
    "wsrf-rw": "http://docs.oasis-open.org/wsrf/rw-2",
    "tt": "http://www.onvif.org/ver10/schema",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tev": "http://www.onvif.org/ver10/events/wsdl",
    "tptz": "http://www.onvif.org/ver20/ptz/wsdl",
    "ter": "http://www.onvif.org/ver10/error",
    "tns1": "http://www.onvif.org/ver10/topics",
}

#: Requests and responses larger than this are refused unread (ONVIF messages are a few KiB).
DEFAULT_MAX_BYTES = 256 * 1024

_PASSWORD_DIGEST_TYPE = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
)
_NONCE_ENCODING = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)


class SoapError(ValueError):
    """The bytes are not an acceptable SOAP message (too big, not XML, hostile, wrong shape)."""


class AuthError(Exception):
    """A WS-UsernameToken was missing or did not verify; ``reason`` says which check failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class Fault:
    """A SOAP 1.2 fault: ``code`` is ``env:Sender``/``env:Receiver``, subcodes as QName text."""

    code: str
    subcodes: tuple[str, ...]
    reason: str

    def __str__(self) -> str:
        return f"{self.code}/{'/'.join(self.subcodes)}: {self.reason}" if self.subcodes else f"{self.code}: {self.reason}"


@dataclasses.dataclass(frozen=True)
class Envelope:
    header: etree._Element | None
    body: etree._Element | None  # first child of env:Body (None for an empty body)
    fault: Fault | None


def _hardened_parser() -> etree.XMLParser:
    # No entity expansion, no DTD loading, no network, libxml2's default depth/size limits.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
        dtd_validation=False, remove_comments=True, remove_pis=True,
    )


_PARSER = _hardened_parser()


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted XML: refuses oversized documents, DTDs (hence entity bombs) and junk."""
    if not isinstance(data, (bytes, bytearray)):
        raise SoapError("XML must be bytes")
    if len(data) > max_bytes:
        raise SoapError(f"document of {len(data)} bytes exceeds the {max_bytes}-byte limit")
    if not data.strip():
        raise SoapError("empty document")
    try:
        root = etree.fromstring(bytes(data), _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:  # lxml raises ValueError for some encodings
        raise SoapError(f"not well-formed XML: {exc}") from None
    if root is None:
        raise SoapError("empty document")
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise SoapError("DTDs are not allowed in SOAP messages")
    return root


def text_of(element: etree._Element | None, path: str | None = None, namespaces: Mapping[str, str] = NS) -> str:
    """Stripped text of ``element`` (or of its first descendant matching ``path``); '' if absent."""
    if element is None:
        return ""
    if path is not None:
        element = element.find(path, namespaces)
        if element is None:
            return ""
    return (element.text or "").strip()


def parse_envelope(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Envelope:
    """Split a SOAP 1.2 envelope into header, body payload and fault."""
    root = parse_xml(data, max_bytes=max_bytes)
    if root.tag != f"{{{NS['env']}}}Envelope":
        raise SoapError(f"root element is {root.tag!r}, expected a SOAP 1.2 Envelope")
    header = root.find("env:Header", NS)
    body = root.find("env:Body", NS)
    if body is None:
        raise SoapError("SOAP envelope without Body")
    payload = next((child for child in body if isinstance(child.tag, str)), None)
    fault = None
    if payload is not None and payload.tag == f"{{{NS['env']}}}Fault":
        fault = _parse_fault(payload)
    return Envelope(header=header, body=payload, fault=fault)


def _parse_fault(element: etree._Element) -> Fault:
    code = text_of(element, "env:Code/env:Value")
    if not code:
        raise SoapError("SOAP fault without env:Code/env:Value")
    subcodes = []
    node = element.find("env:Code/env:Subcode", NS)
    while node is not None and len(subcodes) < 8:
        subcodes.append(text_of(node, "env:Value"))
        node = node.find("env:Subcode", NS)
    reason = text_of(element, "env:Reason/env:Text")
    return Fault(code=code, subcodes=tuple(subcodes), reason=reason[:500])


_ENVELOPE_NAMESPACES = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NS.items())


def build_envelope(body: str, header: str = "") -> bytes:
    """Wrap XML fragments (using the :data:`NS` prefixes) in a SOAP 1.2 envelope."""
    head = f"<env:Header>{header}</env:Header>" if header else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope {_ENVELOPE_NAMESPACES}>{head}'
        f"<env:Body>{body}</env:Body></env:Envelope>"
    ).encode()


def build_fault(code: str, subcodes: Iterable[str], reason: str) -> bytes:
    """A SOAP 1.2 fault envelope; ``code`` is ``env:Sender`` or ``env:Receiver``."""
    inner = ""
    for subcode in reversed(list(subcodes)):
        inner = f"<env:Subcode><env:Value>{escape(subcode)}</env:Value>{inner}</env:Subcode>"
    return build_envelope(
        f"<env:Fault><env:Code><env:Value>{escape(code)}</env:Value>{inner}</env:Code>"
        f'<env:Reason><env:Text xml:lang="en">{escape(reason)}</env:Text></env:Reason></env:Fault>'
    )


# --- numbers ------------------------------------------------------------------------------------
# xs:integer's lexical space: ASCII digits only (str.isdigit and int() also take '²' and '٣').
_XS_INTEGER = re.compile(r"[+-]?[0-9]{1,40}", re.ASCII)
XS_UNSIGNED_INT_MAX = 2**32 - 1
XS_INT_MAX = 2**31 - 1


def parse_integer(text: str, what: str, *, minimum: int, maximum: int) -> int:
    """An xs:integer-derived value (xs:int, xs:unsignedInt...) read by XML Schema's rules, in range."""
    text = text.strip(" \t\r\n")
    if not _XS_INTEGER.fullmatch(text):
        raise SoapError(f"bad {what} {text[:20]!r}: not an XML Schema integer")
    value = int(text)
    if not minimum <= value <= maximum:
        raise SoapError(f"{what} {value} is outside {minimum}..{maximum}")
    return value


# --- time ---------------------------------------------------------------------------------------
def format_datetime(epoch: float, *, millis: bool = False) -> str:
    """xs:dateTime in UTC with a Z: whole seconds, or milliseconds (as many cameras stamp events)."""
    if not millis:
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    seconds, milliseconds = divmod(round(epoch * 1000), 1000)
    return _dt.datetime.fromtimestamp(seconds, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{milliseconds:03d}Z"


def parse_datetime(text: str) -> float:
    """xs:dateTime to epoch seconds; a missing zone means UTC (cameras omit it)."""
    text = text.strip()
    if not text:
        raise SoapError("empty dateTime")
    try:
        when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise SoapError(f"bad xs:dateTime {text[:40]!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    try:
        return when.timestamp()
    except (OverflowError, ValueError):
        raise SoapError(f"xs:dateTime out of range {text[:40]!r}") from None


_DURATION = re.compile(
    r"^P(?:(?P<d>\d{1,9})D)?(?:T(?:(?P<h>\d{1,9})H)?(?:(?P<m>\d{1,9})M)?(?:(?P<s>\d{1,9}(?:\.\d{1,9})?)S)?)?$",
    re.ASCII,  # \d is [0-9] only, as in XML Schema
)


def format_duration(seconds: float) -> str:
    """xs:duration for a number of seconds (``PT10S``, ``PT0.5S``)."""
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return f"PT{text or '0'}S"


def parse_duration(text: str) -> float:
    """The day/time part of xs:duration (what ONVIF uses for timeouts) to seconds."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise SoapError(f"bad or unsupported xs:duration {text[:40]!r}")
    parts = {key: float(value) for key, value in match.groupdict().items() if value}
    return parts.get("d", 0) * 86400 + parts.get("h", 0) * 3600 + parts.get("m", 0) * 60 + parts.get("s", 0)


# --- WS-UsernameToken ---------------------------------------------------------------------------
def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA-1(nonce + created + password)), the WS-UsernameToken PasswordDigest."""
    return base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()


def username_token(username: str, password: str, *, created: float, nonce: bytes) -> str:
    """A ``wsse:Security`` header fragment with a digest UsernameToken created at ``created``."""
    created_text = format_datetime(created)
    return (
        f'<wsse:Security env:mustUnderstand="true"><wsse:UsernameToken>'
        f"<wsse:Username>{escape(username)}</wsse:Username>"
        f'<wsse:Password Type="{_PASSWORD_DIGEST_TYPE}">{password_digest(nonce, created_text, password)}</wsse:Password>'
        f'<wsse:Nonce EncodingType="{_NONCE_ENCODING}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
        f"<wsu:Created>{created_text}</wsu:Created></wsse:UsernameToken></wsse:Security>"
    )


def verify_username_token(
    header: etree._Element | None,
    users: Mapping[str, str],
    *,
    now: float,
    max_age: float,
) -> tuple[str, bytes]:
    """Check a digest UsernameToken against ``users`` at time ``now`` (the verifier's clock).

    Returns ``(username, nonce)`` (so the caller can refuse replays) or raises :class:`AuthError`.
    Tokens without Nonce or Created, plaintext passwords and timestamps more than ``max_age``
    seconds away from ``now`` are refused.
    """
    token = None if header is None else header.find("wsse:Security/wsse:UsernameToken", NS)
    if token is None:
        raise AuthError("no WS-UsernameToken")
    username = text_of(token, "wsse:Username")
    password = token.find("wsse:Password", NS)
    nonce_text = text_of(token, "wsse:Nonce")
    created = text_of(token, "wsu:Created")
    if not nonce_text or not created:
        raise AuthError("UsernameToken lacks Nonce or Created")
    if password is None or not (password.get("Type") or "").endswith("#PasswordDigest"):
        raise AuthError("UsernameToken is not a PasswordDigest")
    try:
        nonce = base64.b64decode(nonce_text, validate=True)
        created_at = parse_datetime(created)
    except (ValueError, SoapError):
        raise AuthError("malformed Nonce or Created") from None
    if abs(created_at - now) > max_age:
        raise AuthError(f"Created {created} is {created_at - now:+.0f}s off the device clock")
    expected = users.get(username)
    if expected is None or password_digest(nonce, created, expected) != (password.text or "").strip():
        raise AuthError("wrong username or password")
    return username, nonce
