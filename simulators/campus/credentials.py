"""The simulated campus's secrets: camera password, SIA AES key and the subscriber token.

They live in files next to the written hub config (``<config>.secrets/``, mode 0600) and are reused
when ``campus-hub simulate`` starts again, so that a hub already running on that config keeps
working with the restarted simulators (with ``--first-port`` the ports stay the same too).
"""
from __future__ import annotations

import dataclasses
import os
import pathlib

from hub.access import hash_token, new_token

__all__ = ["Credentials"]

CAMERA_PASSWORD, SIA_KEY, TOKEN, TOKEN_SHA256 = "camera-password", "sia-key", "subscriber.token", "subscriber.sha256"


@dataclasses.dataclass(frozen=True)
class Credentials:
    camera_password: str
    sia_key_hex: str
    token: str

    @property
    def token_sha256(self) -> str:
        return hash_token(self.token)

    @classmethod
    def create(cls) -> Credentials:
        return cls(os.urandom(9).hex(), os.urandom(16).hex().upper(), new_token()[0])

    @classmethod
    def load_or_create(cls, directory: str | os.PathLike[str]) -> Credentials:
        """The credentials kept in ``directory``, or new ones (written there)."""
        folder = pathlib.Path(directory)
        try:
            found = cls(*((folder / name).read_text("utf-8").strip() for name in (CAMERA_PASSWORD, SIA_KEY, TOKEN)))
        except OSError:
            found = cls.create()
        found.save(folder)
        return found

    def save(self, directory: str | os.PathLike[str]) -> None:
        folder = pathlib.Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        for name, value in ((CAMERA_PASSWORD, self.camera_password), (SIA_KEY, self.sia_key_hex),
                            (TOKEN, self.token), (TOKEN_SHA256, self.token_sha256)):
            fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(value + "\n")
