"""``/media/<sha256>?expires=<epoch>&sig=<hmac>``: a media-store picture for whoever holds a
signed path that has not expired (GetMedia hands them out). Anything else is 404, the same
answer for a wrong signature, an expired one and a picture that is not there."""
from __future__ import annotations

import re

from twisted.web import resource, static

__all__ = ["SignedMedia"]

_SHA256 = re.compile(rb"[0-9a-f]{64}\Z")


class SignedMedia(resource.Resource):
    def __init__(self, store) -> None:
        super().__init__()
        self.store = store

    def getChild(self, path: bytes, request) -> resource.Resource:
        if not _SHA256.match(path):
            return resource.NoResource()
        sha = path.decode()
        expires = (request.args.get(b"expires") or [b""])[0].decode("ascii", "replace")
        sig = (request.args.get(b"sig") or [b""])[0].decode("ascii", "replace")
        if not self.store.check_signature(sha, expires, sig):
            return resource.NoResource()
        located = self.store.locate(sha)
        if located is None:
            return resource.NoResource()
        file_path, mime = located
        served = static.File(str(file_path), defaultType=mime)
        served.isLeaf = True
        return served
