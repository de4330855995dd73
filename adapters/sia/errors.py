"""The one error family the SIA codec raises. Parsers raise nothing else on any input."""
from __future__ import annotations


class SiaError(ValueError):
    """Base of every codec error; ``reason`` is a short stable label for metrics."""

    reason = "format"


class FramingError(SiaError):
    """Not a DC-09 frame: missing LF/CR, bad header, bad structure."""

    reason = "format"


class CrcMismatch(SiaError):
    """The CRC field does not match the frame (corruption: receivers do not answer)."""

    reason = "crc"


class LengthMismatch(SiaError):
    """The length field does not match the frame (corruption: receivers do not answer)."""

    reason = "length"


class DecryptionError(SiaError):
    """Encrypted content that does not decrypt to a DC-09 body (wrong key, bad hex, no pad)."""

    reason = "decrypt"


class ContentError(SiaError):
    """The data block of an understood frame cannot be read (SIA-DCS / ADM-CID syntax)."""

    reason = "content"


class KeyFormatError(SiaError):
    """An encryption key given in config is not a valid AES key in the declared format."""

    reason = "key"


class HeaderError(FramingError):
    """CRC and length are right but the header cannot be read (receivers answer NAK)."""

    reason = "header"
