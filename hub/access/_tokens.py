"""Subscriber bearer tokens. The hub stores only their sha256 (``token_sha256`` in hub.yaml), so a
leaked config file does not let anyone subscribe.

``campus-hub hash-token`` prints a fresh random token (hand it to the platform) and its sha256
(put it in the config, preferably through ``${ENV}`` or ``${file:...}``).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import sys
from typing import TextIO

from pydantic import SecretStr

__all__ = ["hash_token", "new_token", "run_hash_token", "token_matches"]

#: Random bytes in a new token (256 bits), rendered URL-safe base64: 43 characters.
TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """sha256 of the token's UTF-8 bytes, as 64 lowercase hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh random bearer token and its sha256: ``(token, sha256_hex)``.

    Never starts with "-", which a command line (``campus-hub tail --token ...``) would read as an
    option: one base64 digit in 64 is redrawn, costing under 0.03 bits of the token's 256."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    while token.startswith("-"):
        token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def token_matches(token: str, token_sha256: SecretStr | str) -> bool:
    """Does the presented ``token`` hash to the configured digest? (constant-time comparison)"""
    expected = token_sha256.get_secret_value() if isinstance(token_sha256, SecretStr) else token_sha256
    return hmac.compare_digest(hash_token(token).encode("ascii"), expected.encode("ascii", "replace"))


def run_hash_token(out: TextIO | None = None) -> int:
    """``campus-hub hash-token``: print a new token and its sha256 to ``out`` (default stdout);
    exit status 0."""
    out = sys.stdout if out is None else out
    token, digest = new_token()
    print(f"token:  {token}", file=out)
    print(f"sha256: {digest}", file=out)
    print("Give the token to the subscribing platform (it is not stored anywhere); put the sha256 in "
          "hub.yaml as the subscriber's token_sha256, e.g. token_sha256: ${POLICE_TOKEN_SHA256}.", file=out)
    return 0
