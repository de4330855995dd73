"""The media store: snapshots kept as content-addressed files under the hub's data directory.

A file is named by the sha256 of its bytes (``<root>/ab/abcdef....jpg``) beside a small JSON
sidecar (device, site, time, type), so the same picture is kept once and a reference
(``media:<sha256>``) can never point at other bytes. What is offered is checked first: a JPEG or
PNG by its magic bytes, at most ``max_item_bytes``. Retention deletes files older than
``max_age`` and then the oldest until the store is under ``max_bytes``. An item put with
``keep=True`` (a hazard ledger photo, evidence for as long as the ledger holds its entry) is kept
under ``<root>/kept/``, written durably (fsync) and never removed by retention; it is read and
served like any other. Every method does file I/O: callers run them on a thread pool, never on
the loop.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import pathlib
import re
import time

__all__ = ["MediaItem", "MediaRejected", "MediaStore", "sniff_type"]

_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
#: An expiry is epoch seconds: 18 digits reach far beyond any signed path's lifetime.
_EXPIRES_DIGITS = 18
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png"}
#: Where kept items live under the root (retention looks only at <root>/<ab>/ files).
KEPT = "kept"


class MediaRejected(ValueError):
    """What was offered is not kept; ``str()`` says why."""


def sniff_type(data: bytes) -> str | None:
    """The image type the bytes really are (not what a camera claims), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    return None


@dataclasses.dataclass(frozen=True)
class MediaItem:
    sha256: str
    mime_type: str
    size: int
    device_id: str
    taken_at: float
    site: dict

    @property
    def uri(self) -> str:
        return f"media:{self.sha256}"


class MediaStore:
    def __init__(self, root: str | os.PathLike[str], *, max_age: float = 30 * 86400, max_bytes: int = 2 << 30,
                 max_item_bytes: int = 5 << 20, url_secret: bytes | None = None) -> None:
        self.root = pathlib.Path(root)
        self.max_age, self.max_bytes, self.max_item_bytes = max_age, max_bytes, max_item_bytes
        self.url_secret = url_secret or os.urandom(32)

    # --- keeping ------------------------------------------------------------------------------
    def put(self, data: bytes, *, device_id: str, taken_at: float, site: dict | None = None,
            claimed_type: str = "", keep: bool = False) -> MediaItem:
        """Keep ``data`` (idempotent: the same bytes are one file); raises MediaRejected.
        ``keep``: out of retention's reach, on disk before this returns."""
        if not data:
            raise MediaRejected("empty media")
        if len(data) > self.max_item_bytes:
            raise MediaRejected(f"{len(data)} bytes is more than the {self.max_item_bytes} a media item may have")
        mime = sniff_type(data)
        if mime is None:
            raise MediaRejected(f"not a JPEG or PNG (claimed {claimed_type or 'nothing'}; starts {data[:8]!r})")
        if claimed_type and claimed_type != mime:
            raise MediaRejected(f"claimed {claimed_type} but is {mime}")
        sha = hashlib.sha256(data).hexdigest()
        item = MediaItem(sha, mime, len(data), device_id, taken_at, dict(site or {}))
        base = self.root / KEPT if keep else self.root
        path = self._path(sha, mime, base)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            temporary = path.with_suffix(".tmp")
            with open(temporary, "wb") as out:
                out.write(data)
                if keep:
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(temporary, path)  # a reader never sees half a file
        meta = self._meta(sha, base)
        if not meta.exists():
            meta.write_text(json.dumps(dataclasses.asdict(item)))
        return item

    # --- reading ------------------------------------------------------------------------------
    def get(self, sha256: str) -> tuple[MediaItem, bytes] | None:
        """The item and its bytes, or None (unknown, expired, or not a sha256 at all)."""
        sha = sha256.removeprefix("media:")
        if not _SHA256.match(sha):
            return None
        for base in (self.root, self.root / KEPT):
            try:
                item = MediaItem(**json.loads(self._meta(sha, base).read_text()))
                return item, self._path(sha, item.mime_type, base).read_bytes()
            except (OSError, ValueError, TypeError):
                continue
        return None

    def locate(self, sha256: str) -> tuple[pathlib.Path, str] | None:
        """(file, type) of a kept item without reading it (the HTTP listener streams the file)."""
        if not _SHA256.match(sha256):
            return None
        for base in (self.root, self.root / KEPT):
            for mime, extension in _EXTENSIONS.items():
                path = base / sha256[:2] / (sha256 + extension)
                if path.is_file():
                    return path, mime
        return None

    # --- signed URLs --------------------------------------------------------------------------
    def signature(self, sha256: str, expires: int) -> str:
        return hmac.new(self.url_secret, f"{sha256}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def signed_path(self, sha256: str, lifetime: float = 600.0, now: float | None = None) -> str:
        """``/media/<sha256>?expires=..&sig=..``: an HTTP path valid for ``lifetime`` seconds."""
        expires = int((time.time() if now is None else now) + lifetime)
        return f"/media/{sha256}?expires={expires}&sig={self.signature(sha256, expires)}"

    def check_signature(self, sha256: str, expires: str, sig: str, now: float | None = None) -> bool:
        """True only for this store's signature of ``sha256`` until ``expires``; False for anything
        else a client can send (never raises: the HTTP listener answers 404, not 500)."""
        # int() refuses more than 4300 digits and compare_digest any non-ASCII str: both raised
        if not (_SHA256.match(sha256) and expires.isascii() and expires.isdigit()
                and len(expires) <= _EXPIRES_DIGITS and sig.isascii()):
            return False
        expiry = int(expires)
        if expiry < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self.signature(sha256, expiry), sig)

    # --- retention ----------------------------------------------------------------------------
    def apply_retention(self, now: float | None = None) -> int:
        """Delete what is too old, then the oldest until under max_bytes; returns files deleted."""
        now = time.time() if now is None else now
        files = []
        for path in self.root.glob("*/*"):
            if path.suffix in (".jpg", ".png"):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                files.append((stat.st_mtime, stat.st_size, path))
        files.sort()
        total = sum(size for _, size, _ in files)
        deleted = 0
        for mtime, size, path in files:
            if now - mtime <= self.max_age and total <= self.max_bytes:
                break
            for victim in (path, self._meta(path.stem)):
                try:
                    victim.unlink()
                except FileNotFoundError:
                    pass
            total -= size
            deleted += 1
        return deleted

    def _path(self, sha: str, mime: str, base: pathlib.Path | None = None) -> pathlib.Path:
        return (base or self.root) / sha[:2] / (sha + _EXTENSIONS[mime])

    def _meta(self, sha: str, base: pathlib.Path | None = None) -> pathlib.Path:
        return (base or self.root) / sha[:2] / (sha + ".json")
