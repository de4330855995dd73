"""The media store: content-addressed, checked before kept, retained by age and size, served by a
scoped GetMedia RPC and over HTTP at signed, expiring paths."""
from __future__ import annotations

import asyncio
import os
import time
import urllib.error
import urllib.request

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from campushub.v1 import media_service_pb2 as pb
from campushub.v1 import media_service_pb2_grpc as pb_grpc
from hub.access import Scope, Subscriber, hash_token
from hub.linkage import MediaRejected, MediaStore
from simulators.camera.camera import CameraConfig
from simulators.camera.picture import render_snapshot
from simulators.camera.simulator import CameraSimulator
from tests.linkage.helpers import camera_device, linkage_events, linkage_hub, other_device, panic, phases

JPEG = render_snapshot("cam-1", 1_700_000_000.0)


def test_the_same_picture_is_kept_once_under_its_sha256(tmp_path):
    store = MediaStore(tmp_path)
    first = store.put(JPEG, device_id="cam-1", taken_at=1.0, site={"school_id": "sch-1"})
    again = store.put(JPEG, device_id="cam-1", taken_at=2.0)
    assert first.sha256 == again.sha256 and len(list(tmp_path.rglob("*.jpg"))) == 1
    item, data = store.get(first.uri)
    assert data == JPEG and item.site == {"school_id": "sch-1"} and item.mime_type == "image/jpeg"


@pytest.mark.parametrize("data, claimed, says", [
    (b"<html>login</html>", "text/html", "not a JPEG or PNG"),
    (b"", "image/jpeg", "empty media"),
    (JPEG, "image/png", "claimed image/png but is image/jpeg"),
])
def test_what_is_not_a_picture_is_refused(tmp_path, data, claimed, says):
    with pytest.raises(MediaRejected, match=says):
        MediaStore(tmp_path).put(data, device_id="cam-1", taken_at=0, claimed_type=claimed)


def test_a_picture_over_the_item_limit_is_refused(tmp_path):
    with pytest.raises(MediaRejected, match="is more than the 1000"):
        MediaStore(tmp_path, max_item_bytes=1000).put(JPEG + b"\0" * 1000, device_id="c", taken_at=0)


@given(st.binary(max_size=64))
def test_get_never_fails_on_any_reference(reference):
    store = MediaStore("/nonexistent-media-root")
    assert store.get(reference.decode("latin-1")) is None


def test_retention_deletes_the_too_old_then_the_oldest_beyond_the_size(tmp_path):
    store = MediaStore(tmp_path, max_age=100.0)
    items = [store.put(render_snapshot(f"cam-{i}", i), device_id=f"cam-{i}", taken_at=i) for i in range(4)]
    store.max_bytes = items[2].size + items[3].size
    now = time.time()
    for age, item in zip((500, 50, 40, 30), items):
        os.utime(store.locate(item.sha256)[0], (now - age, now - age))
    assert store.apply_retention(now) == 2  # the 500 s old one, then the oldest of the rest for size
    assert [store.get(item.sha256) is not None for item in items] == [False, False, True, True]


def test_a_signed_path_is_valid_until_it_expires(tmp_path):
    store = MediaStore(tmp_path, url_secret=b"k" * 32)
    path = store.signed_path("a" * 64, 60, now=1000.0)
    expires, sig = path.split("expires=")[1].split("&sig=")
    assert store.check_signature("a" * 64, expires, sig, now=1059.0)
    assert not store.check_signature("a" * 64, expires, sig, now=1061.0)
    assert not store.check_signature("b" * 64, expires, sig, now=1000.0)
    assert not store.check_signature("a" * 64, expires, sig[:-1] + "0", now=1000.0) or sig.endswith("0")
    assert not store.check_signature("a" * 64, "\u00b9", sig, now=1000.0)  # a digit to str, not to int()


TOKEN, OTHER = "media-token", "other-county-token"


async def test_get_media_is_scoped_and_its_signed_path_serves_the_picture(tmp_path):
    sim = await CameraSimulator.start([CameraConfig(name="cam-gate")])
    subscribers = [Subscriber("police", hash_token(TOKEN), Scope(region_prefixes=("140802",))),
                   Subscriber("elsewhere", hash_token(OTHER), Scope(region_prefixes=("110101",)))]
    section = {"coverage": [{"camera": "cam-gate", "sites": [{"zone": "gate"}]}],
               "rules": [{"id": "snap", "when": {}, "do": [{"snapshot": {}}]}]}
    try:
        async with linkage_hub(tmp_path, [camera_device(sim["cam-gate"], zone="gate"),
                                          other_device("pb-1", "panic_button", zone="gate")], section,
                               subscribers=subscribers, metrics_address="127.0.0.1:0") as hub:
            await hub.submit(panic(), "test")
            events = await linkage_events(hub, lambda es: ("done", "snapshot", "cam-gate") in phases(es), "snapshot")
            uri = events[-1].media[0].uri
            async with grpc.aio.insecure_channel(f"127.0.0.1:{hub.grpc_port}") as channel:
                stub = pb_grpc.MediaServiceStub(channel)
                got = await stub.GetMedia(pb.GetMediaRequest(sha256=uri),
                                          metadata=[("authorization", f"Bearer {TOKEN}")])
                with pytest.raises(grpc.aio.AioRpcError) as outside:
                    await stub.GetMedia(pb.GetMediaRequest(sha256=uri), metadata=[("authorization", f"Bearer {OTHER}")])
                with pytest.raises(grpc.aio.AioRpcError) as absent:
                    await stub.GetMedia(pb.GetMediaRequest(sha256="0" * 64),
                                        metadata=[("authorization", f"Bearer {TOKEN}")])
            base = f"http://127.0.0.1:{hub.metrics_port}"
            loop = asyncio.get_running_loop()
            served = await loop.run_in_executor(None, _get, base + got.signed_path)
            forged = await loop.run_in_executor(None, _get, base + got.signed_path[:-4] + "0000")
    finally:
        await sim.stop()
    assert got.device_id == "cam-gate" and got.site.zone == "gate" and got.mime_type == "image/jpeg"
    assert got.data[:3] == b"\xff\xd8\xff" and b"cam-gate" in got.data[:512]
    assert outside.value.code() == grpc.StatusCode.NOT_FOUND and absent.value.code() == grpc.StatusCode.NOT_FOUND
    assert served == (200, got.data) and forged[0] == 404


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
