"""Photos of ledger entries: checked (JPEG or PNG by their structure, at most a size), stored by
content (sha256), behind a small interface (:class:`PhotoStore`).

``MediaPhotoStore`` is what a hub uses: photos go into the hub's media store (hub.linkage) as
kept items, out of the media retention's reach, and can be served by its signed URLs like any
snapshot. ``FilePhotoStore`` keeps each photo as ``<dir>/<sha256>.<ext>``; it is where photos
were kept before, and a MediaPhotoStore still reads a photo from there that the media store does
not hold. Either writes a photo to a temporary file, syncs and renames it, so a crash leaves the
whole photo or none. A photo is stored before the change naming it is journaled; a crash between
the two leaves an unreferenced file, never a reference to a missing one. Every method does file
I/O: the ledger calls them on a thread.
"""
from __future__ import annotations

import hashlib
import os
import time
import pathlib
from typing import NamedTuple, Protocol

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


class PhotoRejected(ValueError):
    """Not a JPEG or PNG image, or too large (INVALID_ARGUMENT)."""


class PhotoRef(NamedTuple):
    id: str
    mime_type: str
    size: int

    def text(self) -> str:
        return f"{self.id}:{self.mime_type}:{self.size}"

    @classmethod
    def parse(cls, text: str) -> PhotoRef:
        id_, mime, size = text.split(":")
        return cls(id_, mime, int(size))


def photo_type(data: bytes, max_bytes: int) -> str:
    """The MIME type of ``data`` if it is a plausible JPEG or PNG within ``max_bytes``; else
    PhotoRejected saying why."""
    if len(data) > max_bytes:
        raise PhotoRejected(f"the photo has {len(data)} bytes; at most {max_bytes} are accepted")
    if data.startswith(JPEG_MAGIC):
        if len(data) < 4 or not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise PhotoRejected("the photo starts like a JPEG but has no end-of-image marker (cut short?)")
        return "image/jpeg"
    if data.startswith(PNG_MAGIC):
        if len(data) < 33 or data[12:16] != b"IHDR" or b"IEND" not in data[-12:]:
            raise PhotoRejected("the photo starts like a PNG but lacks its IHDR header or IEND end (cut short?)")
        return "image/png"
    raise PhotoRejected("the photo is neither a JPEG nor a PNG image")


class PhotoStore(Protocol):
    def put(self, data: bytes, site: dict | None = None) -> PhotoRef: ...

    def get(self, ref: PhotoRef) -> bytes: ...


class FilePhotoStore:
    def __init__(self, directory: str | os.PathLike, max_bytes: int = 900 << 10) -> None:
        self.directory = pathlib.Path(directory)
        self.max_bytes = max_bytes

    def put(self, data: bytes, site: dict | None = None) -> PhotoRef:
        mime = photo_type(data, self.max_bytes)
        digest = hashlib.sha256(data).hexdigest()
        ref = PhotoRef(digest, mime, len(data))
        path = self._path(ref)
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".part")
            with open(temporary, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        return ref

    def get(self, ref: PhotoRef) -> bytes:
        return self._path(ref).read_bytes()

    def _path(self, ref: PhotoRef) -> pathlib.Path:
        if not all(c in "0123456789abcdef" for c in ref.id) or len(ref.id) != 64:
            raise KeyError(ref.id)
        return self.directory / f"{ref.id}.{_EXTENSIONS[ref.mime_type]}"


class MediaPhotoStore:
    """Photos as kept items of the hub's media store (see the module docstring)."""

    def __init__(self, media, max_bytes: int = 900 << 10, earlier: PhotoStore | None = None) -> None:
        self.media = media
        self.max_bytes = max_bytes
        #: Where photos were kept before (read only).
        self.earlier = earlier

    def put(self, data: bytes, site: dict | None = None) -> PhotoRef:
        """``site``: the entry's region and school (GetMedia shows the photo within their scope)."""
        mime = photo_type(data, self.max_bytes)  # (stricter than the media store's own check)
        try:
            item = self.media.put(data, device_id="ledger", taken_at=time.time(), site=site, claimed_type=mime,
                                  keep=True)
        except ValueError as exc:  # MediaRejected: larger than the media store's items may be
            raise PhotoRejected(str(exc)) from None
        return PhotoRef(item.sha256, item.mime_type, item.size)

    def get(self, ref: PhotoRef) -> bytes:
        found = self.media.get(ref.id)
        if found is not None:
            return found[1]
        if self.earlier is not None:
            return self.earlier.get(ref)
        raise KeyError(ref.id)
