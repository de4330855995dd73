"""DC-09 encryption (DC-09-2013 §5.4.4): AES-CBC with an all-zero IV, random pad, uppercase hex.

The encrypted region is ``pad|data][xdata...]_timestamp``: the pad is 1..16 random printable bytes
that are never ``|``, ``[`` or ``]``, chosen so the plaintext is a whole number of AES blocks
(a full 16 when already aligned). No PKCS#7: the pad sits in front and is delimited by ``|``.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Literal

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from adapters.sia.errors import DecryptionError, KeyFormatError

KeyFormat = Literal["hex", "ascii"]

_ZERO_IV = bytes(16)
_AES_KEY_SIZES = (16, 24, 32)
# Printable ASCII without the three characters that delimit DC-09 content.
PAD_ALPHABET = bytes(c for c in range(0x21, 0x7F) if c not in b"|[]")

PadSource = Callable[[int], bytes]
_HEX_DIGITS = re.compile(r"[0-9A-Fa-f]+")


def random_pad(size: int) -> bytes:
    """``size`` random pad bytes from :data:`PAD_ALPHABET` (the default pad source)."""
    return bytes(secrets.choice(PAD_ALPHABET) for _ in range(size))


def parse_key(text: str, key_format: KeyFormat) -> bytes:
    """Turn a configured key into AES key bytes.

    ``hex``: 32/48/64 hex digits (ioBroker.sia and most receivers); ``ascii``: the bytes of a
    16/24/32-character string (pysiaalarm, Ajax). The format is explicit because a 32-character
    hex string is also a valid 32-character ASCII key, for a different AES key.
    """
    if key_format == "hex":
        if len(text) not in (32, 48, 64):
            raise KeyFormatError(f"a hex key needs 32, 48 or 64 hex digits (AES-128/192/256), got {len(text)} characters")
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise KeyFormatError("a hex key may contain only the digits 0-9 and A-F") from None
    if key_format == "ascii":
        try:
            key = text.encode("ascii")
        except UnicodeEncodeError:
            raise KeyFormatError("an ascii key may contain only ASCII characters") from None
        if len(key) not in _AES_KEY_SIZES:
            raise KeyFormatError(f"an ascii key needs 16, 24 or 32 characters (AES-128/192/256), got {len(key)}")
        return key
    raise KeyFormatError(f"unknown key format {key_format!r}; expected 'hex' or 'ascii'")


def pad_length(body_length: int) -> int:
    """Pad bytes needed in front of ``|`` + a body of ``body_length`` bytes (1..16)."""
    return 16 - (body_length + 1) % 16


def encrypt_body(body: bytes, key: bytes, pad: bytes) -> str:
    """Encrypt ``pad|body`` and return uppercase hex (``pad`` must have :func:`pad_length` bytes)."""
    if len(pad) != pad_length(len(body)) or any(c not in PAD_ALPHABET for c in pad):
        raise ValueError(f"pad must be {pad_length(len(body))} bytes from PAD_ALPHABET, got {pad!r}")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(_ZERO_IV)).encryptor()
    return (encryptor.update(pad + b"|" + body) + encryptor.finalize()).hex().upper()


def decrypt_body(hex_text: str, key: bytes) -> tuple[bytes, bytes]:
    """Decrypt DC-09 hex ciphertext; return ``(pad, body)`` (body is what followed ``|``)."""
    if not hex_text or len(hex_text) % 32:
        raise DecryptionError(f"ciphertext is {len(hex_text)} hex digits, not a whole number of AES blocks")
    # Only hex digits: bytes.fromhex would skip whitespace and leave a partial AES block.
    if not _HEX_DIGITS.fullmatch(hex_text):
        raise DecryptionError("ciphertext is not hex")
    ciphertext = bytes.fromhex(hex_text)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(_ZERO_IV)).decryptor()
    plain = decryptor.update(ciphertext) + decryptor.finalize()
    pad, bar, body = plain.partition(b"|")
    # Lenient on the pad's alphabet and size (some transmitters pad with control characters or
    # 17 bytes); strict on its delimiter, which is what tells a right key from a wrong one.
    if not bar or not pad or len(pad) > 32 or b"[" in pad or b"]" in pad:
        raise DecryptionError("decrypted text has no 'pad|' prefix: wrong key, or the sender does not pad per DC-09")
    return pad, body
