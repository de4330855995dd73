"""The media store's signed paths, as a browser or a forger sends them to the hub's HTTP listener.

Each input becomes one ``GET /media/<sha256>?expires=..&sig=..`` fed to the real Twisted HTTP
parser and :class:`SignedMedia` over an in-memory connection (a Site's channel on a
StringTransport; a static file's pull producer is driven by a private cooperator instead of the
reactor). The target signs the request with the store's own secret when a flag asks, so inputs
reach both sides of the signature check; a forger never has the secret (a random one per run).

Input: flags byte, then NUL-separated parts: sha256, expires, sig, the rest of the query.
Contract: the answer is 200 with the stored picture only for the stored item, signed by the
store, not expired; anything else under /media/ is 404 (400 for what is not HTTP); never a 5xx. And
``MediaStore.check_signature`` on any strings returns a bool, True only for the store's signature.
"""
from __future__ import annotations

import hmac
import os
import sys
import time
import urllib.parse
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from twisted.internet import _producer_helpers, task  # noqa: E402
from twisted.internet.testing import StringTransport  # noqa: E402
from twisted.web.resource import Resource  # noqa: E402
from twisted.web.server import Site  # noqa: E402

from fuzz.engine import scratch_dir  # noqa: E402
from hub.api.http._media import SignedMedia  # noqa: E402
from hub.linkage import MediaStore  # noqa: E402

STORED_SHA, SIGNED, PERCENT_ENCODED, RAW_TARGET, SIG_FIRST = 1, 2, 4, 8, 16
PICTURE = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"

# A file answer is a pull producer that Twisted drives with the reactor's cooperator; this one
# runs when _drain() says, so a whole answer is in the transport before the input ends.
_CLOCK = task.Clock()
_producer_helpers.cooperate = task.Cooperator(scheduler=lambda work: _CLOCK.callLater(0, work)).cooperate

_STORE = MediaStore(scratch_dir("media_signed_path"), url_secret=os.urandom(32))
_ITEM = _STORE.put(PICTURE, device_id="cam-1", taken_at=0.0)
_ROOT = Resource()
_ROOT.putChild(b"media", SignedMedia(_STORE))
_SITE = Site(_ROOT)
_SITE.timeOut = None  # no idle timer per connection (the reactor never runs here)


def _drain() -> None:
    for _ in range(1000):
        if not _CLOCK.getDelayedCalls():
            return
        _CLOCK.advance(0)
    raise AssertionError("the answer never finished")


def get(target: bytes) -> bytes:
    """The listener's whole answer to ``GET <target>`` on a fresh connection."""
    channel = _SITE.buildProtocol(None)
    transport = StringTransport()
    channel.makeConnection(transport)
    channel.dataReceived(b"GET " + target + b" HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n")
    _drain()
    answer = transport.value()
    channel.connectionLost(None)
    return answer


def _signature_for(sha: bytes, expires: bytes) -> bytes | None:
    text = expires.decode("ascii", "replace")
    if sha.isascii() and text.isascii() and text.isdigit() and len(text) <= 18:
        return _STORE.signature(sha.decode(), int(text)).encode()
    return None


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    flags, parts = (data[0], data[1:].split(b"\0")) if data else (0, [])
    parts += [b""] * (4 - len(parts))
    sha, expires, sig, rest = parts[:4]
    if flags & STORED_SHA:
        sha = _ITEM.sha256.encode()
    signed = flags & SIGNED and (computed := _signature_for(sha, expires)) is not None
    if signed:
        sig = computed
    quote = (lambda b: urllib.parse.quote_from_bytes(b, safe="").encode()) if flags & PERCENT_ENCODED else (lambda b: b)
    arguments = [b"expires=" + quote(expires), b"sig=" + quote(sig)]
    query = b"&".join(arguments[::-1] if flags & SIG_FIRST else arguments) + rest
    target = rest if flags & RAW_TARGET else b"/media/" + sha + b"?" + query
    now = time.time()
    answer = get(target)
    status = answer[9:12]
    assert status.isdigit() and status < b"500", answer[:300]  # (405 for /media itself, 400 for what is not HTTP)
    if status == b"200":
        # only the store's own signature, on its own picture, before it expires, opens it
        assert signed and not flags & RAW_TARGET and sha == _ITEM.sha256.encode(), target
        assert answer.endswith(b"\r\n\r\n" + PICTURE), answer[:300]
        assert int(expires) >= int(now)
    elif signed and sha == _ITEM.sha256.encode() and not flags & RAW_TARGET and not rest and int(expires) > now + 60:
        raise AssertionError(f"a valid signed path was refused: {target!r} -> {answer[:200]!r}")
    # the check itself, on any strings (the listener hands it what it decoded)
    for codec in ("utf-8", "latin-1"):
        args = [part.decode(codec, "replace") for part in (sha, expires, sig)]
        accepted = _STORE.check_signature(*args, now=now)
        assert isinstance(accepted, bool)
        if accepted:
            assert hmac.compare_digest(_STORE.signature(args[0], int(args[1])).encode(), args[2].encode())


def seeds() -> dict[str, bytes]:
    later, earlier = b"4102444800", b"1000"  # 2100-01-01, 1970 (fixed: the committed seeds must match)
    return {
        "signed": bytes([STORED_SHA | SIGNED]) + b"\0" + later,
        "signed-percent-encoded-sig-first": bytes([STORED_SHA | SIGNED | PERCENT_ENCODED | SIG_FIRST]) + b"\0" + later,
        "signed-expired": bytes([STORED_SHA | SIGNED]) + b"\0" + earlier,
        "forged": bytes([STORED_SHA]) + b"\0" + later + b"\0" + b"0" * 32,
        "other-sha-signed": bytes([SIGNED]) + b"a" * 64 + b"\0" + later,
        "duplicate-expires": bytes([STORED_SHA | SIGNED]) + b"\0" + later + b"\0\0&expires=1",
        "raw-target": bytes([RAW_TARGET]) + b"\0\0\0/media/..%2f..%2fetc%2fpasswd?expires=&sig=",
        "issue19-non-ascii-sig": bytes([STORED_SHA | PERCENT_ENCODED]) + b"\0" + later + b"\0\xff\xfe",
        "issue19-expires-4301-digits": bytes([STORED_SHA]) + b"\0" + b"9" * 4301 + b"\0" + b"0" * 32,
        "unicode-digit-expires": bytes([STORED_SHA]) + "\0¹²³\0".encode() + b"0" * 32,
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput, packages=("twisted.web.http",))
