"""The photo check and store: hypothesis over arbitrary bytes (an image type or PhotoRejected,
nothing else), real PNGs and JPEGs accepted and stored by content, bad ones refused."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import pytest

from hub.ledger import FilePhotoStore, PhotoRejected, photo_type

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
