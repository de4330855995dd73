"""Signed media paths are untrusted input: whatever a client puts in ``expires`` and ``sig``, the
hub's HTTP listener answers 404 unless it is the store's own unexpired signature (never a 500),
and ``MediaStore.check_signature`` returns a bool for any strings (hypothesis). The fuzz target
``fuzz/fuzz_media_signed_path.py`` drives the same listener with libFuzzer's inputs."""
from __future__ import annotations

import asyncio
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from hub.api.http import HttpService
from hub.linkage import MediaStore
from tests.linkage.test_media import _get

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"
SECRET = b"s" * 32
STORE = MediaStore("/nonexistent-media-root", url_secret=SECRET)
SHA = "ab" * 32


async def test_the_listener_answers_404_not_500_to_any_expires_and_sig(tmp_path):
    """issue 19: a non-ASCII sig with a future expires (hmac.compare_digest raised TypeError) and an
    expires of more than 4300 digits (int() raised ValueError) were 500s with a logged traceback."""
    store = MediaStore(tmp_path, url_secret=SECRET)
    item = store.put(JPEG, device_id="cam-1", taken_at=0.0)
    later = int(time.time()) + 3600
    http = HttpService("127.0.0.1:0", CollectorRegistry(), media=store)
    await http.start()
    try:
        base = f"http://127.0.0.1:{http.port}/media/{item.sha256}"
        loop = asyncio.get_running_loop()
        answers = {query: await loop.run_in_executor(None, _get, f"{base}?{query}") for query in (
            f"expires={later}&sig=%FF%FE",
            f"expires={later}&sig=%C3%A9{store.signature(item.sha256, later)[2:]}",
            f"expires={'9' * 4301}&sig={'0' * 32}",
            f"expires={'9' * 40}&sig={'0' * 32}",
            f"expires=%C2%B9{later}&sig={'0' * 32}",
        )}
        valid = await loop.run_in_executor(None, _get, f"http://127.0.0.1:{http.port}{store.signed_path(item.sha256)}")
    finally:
        await http.stop()
    assert {query: status for query, (status, _) in answers.items()} == dict.fromkeys(answers, 404)
    assert valid == (200, JPEG)


@given(st.text(max_size=80), st.text(max_size=40) | st.integers(0, 10**30).map(str), st.text(max_size=40))
def test_check_signature_is_a_bool_for_any_strings(sha, expires, sig):
    assert STORE.check_signature(sha, expires, sig, now=0.0) is False or (
        sig == STORE.signature(sha, int(expires)))


@given(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
       st.floats(1.0, 1e9), st.floats(0.0, 4e9))
def test_a_signed_path_checks_until_it_expires_and_not_after(sha, lifetime, now):
    path = STORE.signed_path(sha, lifetime, now=now)
    expires, sig = path.split("expires=")[1].split("&sig=")
    assert path.startswith(f"/media/{sha}?")
    assert STORE.check_signature(sha, expires, sig, now=now)
    assert not STORE.check_signature(sha, expires, sig, now=int(expires) + 1)
    assert not STORE.check_signature(sha, expires, ("1" if sig[0] == "0" else "0") + sig[1:], now=now)


@pytest.mark.parametrize("sig", ["\ufffd" * 32, "é", "\udcff", ""])
def test_a_non_ascii_or_empty_sig_is_refused_not_an_error(sig):
    assert STORE.check_signature(SHA, str(int(time.time()) + 60), sig) is False


@pytest.mark.parametrize("expires", ["9" * 4301, "9" * 19, "¹²³", "-1", " 12", "1e9", ""])
def test_an_expires_that_is_not_a_plain_time_is_refused_not_an_error(expires):
    assert STORE.check_signature(SHA, expires, "0" * 32) is False
