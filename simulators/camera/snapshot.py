"""The snapshot URL of a simulated camera: a JPEG behind HTTP digest or basic authentication.

Real cameras protect their snapshot with the camera's own user (HTTP digest on most, basic on
some older ones); a client must answer the ``WWW-Authenticate`` challenge. Built on Twisted's own
machinery: ``twisted.web.guard`` with a ``twisted.cred`` portal whose checker reads the camera's
current user and password.
"""
from __future__ import annotations

import importlib.resources

from twisted.cred import checkers, credentials, error, portal
from twisted.internet import defer
from twisted.web import guard, resource, server
from zope.interface import implementer

from simulators.camera.camera import SimulatedCamera
from simulators.camera.picture import render_snapshot

__all__ = ["SNAPSHOT_JPEG", "SNAPSHOT_MODES", "snapshot_resource"]

SNAPSHOT_JPEG = importlib.resources.files("simulators.camera").joinpath("snapshot.jpg").read_bytes()
#: What a snapshot can be made to answer instead of a picture (the linkage's bad-input cases).
SNAPSHOT_MODES = ("picture", "html", "huge", "hang")


class _Snapshot(resource.Resource):
    isLeaf = True

    def __init__(self, camera: SimulatedCamera) -> None:
        super().__init__()
        self._camera = camera

    def render_GET(self, request) -> bytes | int:
        camera = self._camera
        camera.requests["snapshot"] += 1
        mode = camera.snapshot_mode
        if mode == "html":  # a login page or an error page where the picture should be
            request.setHeader(b"content-type", b"text/html")
            return b"<html><body><h1>Login</h1></body></html>"
        if mode == "huge":  # 50 MB claimed and sent as fast as the client reads
            request.setHeader(b"content-type", b"image/jpeg")
            request.setHeader(b"content-length", str(50 * 1024 * 1024).encode())
            _stream_zeros(request, 50 * 1024 * 1024)
            return server.NOT_DONE_YET
        if mode == "hang":  # accept the request and never answer
            return server.NOT_DONE_YET
        request.setHeader(b"content-type", b"image/jpeg")
        return render_snapshot(camera.config.name, camera.now())


def _stream_zeros(request, total: int) -> None:
    from twisted.internet import interfaces
    from zope.interface import implementer

    @implementer(interfaces.IPushProducer)
    class _Zeros:
        def __init__(self) -> None:
            self.left, self.paused = total, False

        def resumeProducing(self) -> None:
            self.paused = False
            while not self.paused and self.left > 0 and not request.finished and not request._disconnected:
                chunk = min(65536, self.left)
                self.left -= chunk
                request.write(b"\0" * chunk)
            if self.left <= 0 and not request.finished and not request._disconnected:
                request.unregisterProducer()
                request.finish()

        def pauseProducing(self) -> None:
            self.paused = True

        def stopProducing(self) -> None:
            self.left = 0

    producer = _Zeros()
    request.registerProducer(producer, True)
    producer.resumeProducing()


@implementer(checkers.ICredentialsChecker)
class _CameraUser:
    """Accepts the camera's configured user (read at each request: tests may change it)."""

    credentialInterfaces = (credentials.IUsernamePassword, credentials.IUsernameDigestHash)

    def __init__(self, camera: SimulatedCamera) -> None:
        self._camera = camera

    def requestAvatarId(self, presented):
        config = self._camera.config
        if presented.username == config.username.encode() and presented.checkPassword(config.password.encode()):
            return defer.succeed(presented.username)
        self._camera.requests["snapshot_auth_failures"] += 1
        return defer.fail(error.UnauthorizedLogin())


@implementer(portal.IRealm)
class _SnapshotRealm:
    def __init__(self, snapshot: resource.Resource) -> None:
        self._snapshot = snapshot

    def requestAvatar(self, avatar_id, mind, *interfaces):
        if resource.IResource not in interfaces:
            raise NotImplementedError("the snapshot realm only serves web resources")
        return resource.IResource, self._snapshot, lambda: None


def snapshot_resource(camera: SimulatedCamera) -> resource.IResource:
    """The snapshot, guarded as ``camera.config.snapshot_auth`` says (``none``: open)."""
    snapshot = _Snapshot(camera)
    scheme = camera.config.snapshot_auth
    if scheme == "none":
        return snapshot
    realm = camera.config.name.encode()
    factory = (guard.DigestCredentialFactory(b"md5", realm) if scheme == "digest"
               else guard.BasicCredentialFactory(realm))
    return guard.HTTPAuthSessionWrapper(portal.Portal(_SnapshotRealm(snapshot), [_CameraUser(camera)]), [factory])
