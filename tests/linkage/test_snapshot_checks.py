"""What a camera hands a snapshot action is untrusted: hypothesis over claimed content types and
bytes. The media store keeps exactly a JPEG or PNG within its item limit whose claimed type, if
any, is what it is, under the sha256 of its bytes; anything else is MediaRejected (a snapshot
action's CapabilityError) and nothing is written. ``fuzz/fuzz_linkage_snapshot.py`` drives the
action itself with libFuzzer's inputs."""
from __future__ import annotations

import asyncio
import hashlib
import tempfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.linkage import MediaRejected, MediaStore
from hub.linkage._actions import DeviceActions
from hub.spi import CapabilityError, Snapshot

LIMIT = 512
MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
CLAIMS = st.sampled_from(["", "image/jpeg", "image/png", "IMAGE/JPEG", "image/jpeg; q=1", "text/html"]) | st.text(max_size=20)
PICTURES = (st.binary(max_size=LIMIT + 16)
            | st.tuples(st.sampled_from(list(MAGIC.values())), st.binary(max_size=LIMIT)).map(b"".join))


@given(claimed=CLAIMS, picture=PICTURES)
def test_the_store_keeps_exactly_the_pictures_that_are_what_they_claim(claimed, picture):
    with tempfile.TemporaryDirectory() as root:  # a fresh store per example
        _keeps_exactly_what_it_should(MediaStore(root, max_item_bytes=LIMIT), claimed, picture)


def _keeps_exactly_what_it_should(store: MediaStore, claimed: str, picture: bytes) -> None:
    mime = next((kind for kind, magic in MAGIC.items() if picture.startswith(magic)), None)
    try:
        item = store.put(picture, device_id="cam-1", taken_at=1.0, claimed_type=claimed)
    except MediaRejected as exc:
        assert str(exc)
        assert not (mime and len(picture) <= LIMIT and claimed in ("", mime)), exc
        assert store.locate(hashlib.sha256(picture).hexdigest()) is None
        return
    assert mime and 0 < len(picture) <= LIMIT and claimed in ("", mime)
    assert item.sha256 == hashlib.sha256(picture).hexdigest() and item.mime_type == mime
    assert store.get(item.uri)[1] == picture


class _Camera:
    def __init__(self, answer: Snapshot) -> None:
        self.answer = answer

    async def snapshot(self, device_id: str) -> Snapshot:
        return self.answer


async def _run_blocking(function):
    return await asyncio.get_running_loop().run_in_executor(None, function)


@pytest.mark.parametrize("claimed, picture, kept", [
    ("image/jpeg", b"\xff\xd8\xff\xe0" + b"\0" * 32, True),
    ("", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, True),
    ("image/jpeg", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, False),
    ("text/html", b"<html>login</html>", False),
    ("image/jpeg", b"\xff\xd8\xff" + b"\0" * LIMIT, False),
    ("image/jpeg", b"", False),
])
async def test_a_snapshot_action_keeps_or_refuses_what_the_camera_sent(tmp_path, claimed, picture, kept):
    store = MediaStore(tmp_path, max_item_bytes=LIMIT)
    camera = _Camera(Snapshot(claimed, picture, 1.0))
    actions = DeviceActions(lambda device, capability: camera, store, _run_blocking, lambda device: {})
    if kept:
        outcome = await actions.snapshot("cam-1")
        sha = hashlib.sha256(picture).hexdigest()
        assert outcome.detail == {"sha256": sha, "bytes": str(len(picture))} and store.get(sha)[1] == picture
    else:
        with pytest.raises(CapabilityError, match="^snapshot not kept: "):
            await actions.snapshot("cam-1")
        assert not list(tmp_path.rglob("*.*"))
