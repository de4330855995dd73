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
from twisted.web import guard, resource
from zope.interface import implementer

from simulators.camera.camera import SimulatedCamera

__all__ = ["SNAPSHOT_JPEG", "snapshot_resource"]

SNAPSHOT_JPEG = importlib.resources.files("simulators.camera").joinpath("snapshot.jpg").read_bytes()


class _Snapshot(resource.Resource):
    isLeaf = True

    def __init__(self, camera: SimulatedCamera) -> None:
        super().__init__()
        self._camera = camera

    def render_GET(self, request) -> bytes:
        self._camera.requests["snapshot"] += 1
        request.setHeader(b"content-type", b"image/jpeg")
        return SNAPSHOT_JPEG


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
