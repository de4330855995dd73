"""A linkage snapshot action on whatever a camera hands over: its claimed content type and bytes.

Each input is one camera answer (a ``Snapshot``) to :meth:`DeviceActions.snapshot`, which keeps it
in a real :class:`MediaStore` on disk (a temporary directory) after the store's checks: a JPEG or
PNG by its magic bytes, not empty, at most the item limit, and the type the camera claims, if any,
is the type it is.

Input: one byte (the claimed type's length, ``& 63``), the claimed type (UTF-8), then the picture.
Contract: the action keeps exactly what passes those checks, under the sha256 of its bytes, and
reads back the same bytes; anything else is a CapabilityError saying the snapshot was not kept,
and nothing is written. No other exception.
"""
from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from fuzz.engine import scratch_dir  # noqa: E402
from hub.linkage import MediaStore  # noqa: E402
from hub.linkage._actions import DeviceActions  # noqa: E402
from hub.spi import CapabilityError, Snapshot, SnapshotSource  # noqa: E402

LIMIT = 4096
MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
CAMERA = "cam-1"


class _Camera:
    """The camera's answer for the current input."""

    answer = Snapshot("", b"", 0.0)

    async def snapshot(self, device_id: str) -> Snapshot:
        return self.answer


def _lookup(device_id: str, capability: type) -> _Camera:
    assert device_id == CAMERA and capability is SnapshotSource
    return _CAMERA


async def _run_blocking(function):  # the hub runs it on a thread pool; the result is the same
    return function()


_ROOT = scratch_dir("linkage_snapshot")
_STORE = MediaStore(_ROOT, max_item_bytes=LIMIT)
_CAMERA = _Camera()
_ACTIONS = DeviceActions(_lookup, _STORE, _run_blocking, lambda device_id: {"school_id": "sch-1"})
_LOOP = asyncio.new_event_loop()


def split(data: bytes) -> tuple[str, bytes]:
    length = data[0] & 63 if data else 0
    return data[1:1 + length].decode("utf-8", "replace"), data[1 + length:]


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    claimed, picture = split(data)
    _CAMERA.answer = Snapshot(claimed, picture, 1_700_000_000.0)
    mime = next((kind for kind, magic in MAGIC.items() if picture.startswith(magic)), None)
    acceptable = mime is not None and len(picture) <= LIMIT and claimed in ("", mime)
    try:
        outcome = _LOOP.run_until_complete(_ACTIONS.snapshot(CAMERA))
    except CapabilityError as exc:
        assert not acceptable, f"refused a {mime} of {len(picture)} bytes claimed {claimed!r}: {exc}"
        assert str(exc).startswith("snapshot not kept: ")
        folder = _ROOT / hashlib.sha256(picture).hexdigest()[:2]
        assert not folder.exists() or not any(folder.iterdir()), "a refused snapshot left files"
        return
    assert acceptable, f"kept a {mime} of {len(picture)} bytes claimed {claimed!r}"
    sha = hashlib.sha256(picture).hexdigest()
    assert outcome.detail == {"sha256": sha, "bytes": str(len(picture))}
    assert outcome.media == (("snapshot", f"media:{sha}", mime),)
    item, kept = _STORE.get(sha)
    assert kept == picture and item.mime_type == mime and item.device_id == CAMERA
    for kept_file in (_ROOT / sha[:2]).iterdir():  # keep the store empty between inputs
        kept_file.unlink()


def seeds() -> dict[str, bytes]:
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + b"\x00" * 17
    typed = lambda claimed, picture: bytes([len(claimed)]) + claimed + picture  # noqa: E731
    return {
        "jpeg-claimed": typed(b"image/jpeg", jpeg),
        "jpeg-unclaimed": typed(b"", jpeg),
        "png-claimed-jpeg": typed(b"image/jpeg", png),
        "png-claimed": typed(b"image/png", png),
        "html-login-page": typed(b"text/html", b"<html><body>login</body></html>"),
        "empty": typed(b"image/jpeg", b""),
        "too-large": typed(b"image/jpeg", jpeg[:-2] + b"\x00" * LIMIT + b"\xff\xd9"),
        "claimed-with-parameters": typed(b"image/jpeg; charset=binary", jpeg),
        "claimed-upper-case": typed(b"IMAGE/JPEG", jpeg),
        "truncated-magic": typed(b"image/png", png[:5]),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput)
