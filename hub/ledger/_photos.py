"""Photos of ledger entries: checked (JPEG or PNG by their structure, at most a size), stored by
content (sha256), behind a small interface so the store can move onto the hub's media store.

``FilePhotoStore`` keeps each photo as ``<dir>/<sha256>.<ext>`` under the hub's data directory,
written to a temporary file and renamed, so a crash leaves either the whole photo or none. A
photo is stored before the change naming it is journaled; a crash between the two leaves an
unreferenced file, never a reference to a missing one.
"""
from __future__ import annotations

import hashlib
import os
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
    def put(self, data: bytes) -> PhotoRef: ...

    def get(self, ref: PhotoRef) -> bytes: ...


class FilePhotoStore:
    def __init__(self, directory: str | os.PathLike, max_bytes: int = 900 << 10) -> None:
        self.directory = pathlib.Path(directory)
        self.max_bytes = max_bytes

    def put(self, data: bytes) -> PhotoRef:
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
