"""Operator passwords: argon2id hashes (argon2-cffi, the reference implementation's binding), and
``campus-hub hash-password``."""
from __future__ import annotations

import getpass
import sys
from typing import TextIO

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "password_matches", "run_hash_password"]

#: argon2-cffi's defaults (RFC 9106's second recommendation: argon2id, t=3, m=64 MiB, p=4).
_HASHER = PasswordHasher()
#: Verified when the login name is unknown, so a wrong name costs as long as a wrong password
#: (no user enumeration by timing).
_DUMMY = _HASHER.hash("no such operator")
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(password: str, encoded: str | None) -> bool:
    """Does ``password`` match the argon2 hash ``encoded``? None: an unknown user (still costs one
    verification). Blocking (tens of ms): run it off the reactor."""
    try:
        return _HASHER.verify(encoded or _DUMMY, password) and encoded is not None
    except (VerificationError, InvalidHashError):
        return False


def run_hash_password(stdin: bool = False, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``campus-hub hash-password``: read a password (twice from the terminal, or one line from
    stdin with --stdin) and print its argon2 hash for an operator's ``password_hash``."""
    out, err = out or sys.stdout, err or sys.stderr
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("campus-hub hash-password: the two passwords differ", file=err)
            return 2
    if len(password) < MIN_PASSWORD:
        print(f"campus-hub hash-password: a password has at least {MIN_PASSWORD} characters", file=err)
        return 2
    print(hash_password(password), file=out)
    return 0
