"""The photo check and store: hypothesis over arbitrary bytes (an image type or PhotoRejected,
nothing else), real PNGs and JPEGs accepted and stored by content, bad ones refused."""
from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

import pytest

from hub.ledger import FilePhotoStore, MediaPhotoStore, PhotoRejected, photo_type
from hub.linkage import MediaStore

from .conftest import png

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


@given(st.binary(max_size=300) | st.binary(max_size=300).map(lambda b: b"\x89PNG\r\n\x1a\n" + b)
       | st.binary(max_size=300).map(lambda b: b"\xff\xd8\xff" + b))
def test_any_bytes_are_an_image_type_or_rejected(data):
    try:
        mime = photo_type(data, 200)
    except PhotoRejected as exc:
        assert str(exc)
    else:
        assert mime in ("image/jpeg", "image/png") and len(data) <= 200


def test_the_store_keeps_photos_by_content(tmp_path):
    store = FilePhotoStore(tmp_path / "photos", max_bytes=1000)
    ref = store.put(png())
    assert ref.mime_type == "image/png" and store.put(png()) == ref and store.get(ref) == png()
    assert store.put(JPEG).mime_type == "image/jpeg"
    assert sorted(p.suffix for p in (tmp_path / "photos").iterdir()) == [".jpg", ".png"]
    for bad in (b"", b"GIF89a", png()[:20], JPEG[:-2], JPEG + b"\x00" * 1000):
        with pytest.raises(PhotoRejected):
            store.put(bad)


def test_photos_in_the_media_store_are_kept_out_of_its_retention(tmp_path):
    media = MediaStore(tmp_path / "media", max_age=60, max_bytes=0)
    earlier = FilePhotoStore(tmp_path / "photos")
    old_ref = earlier.put(JPEG)
    store = MediaPhotoStore(media, max_bytes=1000, earlier=earlier)
    ref = store.put(png(), {"region_code": "140802", "school_id": "sch-a"})
    snapshot = media.put(JPEG + b"\x00", device_id="cam-1", taken_at=1.0)
    assert media.apply_retention(now=time.time() + 86400 * 365) == 1  # the snapshot, not the photo
    assert media.get(snapshot.sha256) is None
    assert store.get(ref) == png() and media.get(ref.id)[0].site["school_id"] == "sch-a"
    assert media.locate(ref.id)[1] == "image/png"
    assert store.get(old_ref) == JPEG  # a photo kept where photos were kept before
    with pytest.raises(PhotoRejected):
        store.put(JPEG[:-2])
    with pytest.raises(PhotoRejected, match="more than"):
        MediaPhotoStore(MediaStore(tmp_path / "small", max_item_bytes=10)).put(png())
    with pytest.raises(KeyError):
        MediaPhotoStore(media).get(old_ref)
