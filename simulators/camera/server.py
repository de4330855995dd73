"""twisted.web SOAP endpoint of one simulated camera (device, media, events, PTZ, snapshot).

Requests are parsed with the hardened sans-IO parser of the adapter (size-limited, no DTDs or
entities), authenticated with WS-UsernameToken digests against the camera's own (possibly skewed)
clock, and answered with SOAP 1.2 bodies or faults (simulators.camera.operations says which).
Misbehaviour switches make the camera answer with garbage, entity bombs, huge or half documents,
slowly, or not at all (silent).
"""
from __future__ import annotations

from collections.abc import Callable

from twisted.internet import defer
from twisted.web import resource, server

from lxml import etree

from adapters.onvif.soap import (
    DEFAULT_MAX_BYTES, AuthError, SoapError, build_envelope, build_fault, parse_envelope, verify_username_token,
)
from simulators.camera.camera import SimulatedCamera
from simulators.camera.operations import PRE_AUTH, SNAPSHOT_PATH, CameraOperations, SoapFault, local_name
from simulators.camera.snapshot import SNAPSHOT_JPEG, snapshot_resource

__all__ = ["CameraResource", "BoundedRequest", "SNAPSHOT_JPEG", "make_site"]

_SOAP_CONTENT_TYPE = b"application/soap+xml; charset=utf-8"
#: Distinct unsupported operation names echoed (a client inventing names must not flood the output).
_MAX_UNSUPPORTED_REPORTED = 64
_ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b']><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>&lol9;</env:Body></env:Envelope>'
)


class BoundedRequest(server.Request):
    """A request that stops storing its body beyond ``max_body`` bytes (answered with 413)."""

    max_body = DEFAULT_MAX_BYTES

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.body_size = 0

    def handleContentChunk(self, data: bytes) -> None:
        self.body_size += len(data)
        if self.body_size <= self.max_body:
            super().handleContentChunk(data)

    @property
    def too_large(self) -> bool:
        return self.body_size > self.max_body


def make_site(camera_resource: CameraResource) -> server.Site:
    site = server.Site(camera_resource)
    site.requestFactory = BoundedRequest
    site.displayTracebacks = False
    site.noisy = False
    return site


class CameraResource(resource.Resource):
    isLeaf = True

    def __init__(self, camera: SimulatedCamera, *, base_url: Callable[[], str], host: str, rtsp_host: str,
                 echo: Callable[[str], None]) -> None:
        super().__init__()
        self.camera = camera
        self._echo = echo
        self._operations = CameraOperations(camera, base_url=base_url, host=host, rtsp_host=rtsp_host,
                                            echo=echo)
        self._snapshot = snapshot_resource(camera)
        self._hanging: set[server.Request] = set()
        #: Unsupported operations already reported: one line each, however often a client asks.
        self._unsupported_seen: set[str] = set()

    # --- HTTP --------------------------------------------------------------------------------
    def render_GET(self, request: server.Request) -> bytes | int:
        if self._unavailable(request):
            return server.NOT_DONE_YET
        if request.path != SNAPSHOT_PATH.encode():
            request.setResponseCode(404)
            return b"not found"
        return self._snapshot.render(request)

    def render_POST(self, request: BoundedRequest) -> bytes | int:
        if self._unavailable(request):
            return server.NOT_DONE_YET
        if request.too_large:
            self._echo(f"{self.camera.config.name}: refused a {request.body_size}-byte request")
            return self._fault(request, 413, "env:Sender", ["ter:InvalidArgs"], "request too large")
        try:
            envelope = parse_envelope(request.content.read())
            if envelope.body is None:
                raise SoapError("empty SOAP body")
        except SoapError as exc:
            self.camera.requests["malformed"] += 1
            self._echo(f"{self.camera.config.name}: malformed request: {exc}")
            return self._fault(request, 400, "env:Sender", ["ter:WellFormed"], str(exc))
        operation = local_name(envelope.body.tag)
        self.camera.requests[operation] += 1
        if envelope.body.tag not in PRE_AUTH:
            try:
                _, nonce = verify_username_token(
                    envelope.header, {self.camera.config.username: self.camera.config.password},
                    now=self.camera.now(), max_age=self.camera.config.auth_window,
                )
                if not self.camera.nonce_is_fresh(nonce):
                    raise AuthError("replayed nonce")
            except AuthError as exc:
                self.camera.requests["auth_failures"] += 1
                self._echo(f"{self.camera.config.name}: refused {operation}: {exc.reason}")
                return self._fault(request, 400, "env:Sender", ["ter:NotAuthorized"], "Sender not Authorized")
        try:
            result = self._operations.handle(request.path.decode("utf-8", "replace"), envelope.body)
        except SoapError as exc:
            return self._fault(request, 400, "env:Sender", ["ter:InvalidArgVal"], str(exc))
        except SoapFault as fault:
            if "ter:ActionNotSupported" in fault.subcodes:
                self._report_unsupported(operation, fault.status)
            return self._fault(request, fault.status, fault.code, fault.subcodes, fault.reason)
        if isinstance(result, defer.Deferred):
            self._deliver_later(request, result)
            return server.NOT_DONE_YET
        return self._send(request, result)

    def _report_unsupported(self, operation: str, status: int) -> None:
        self.camera.requests["not_supported"] += 1
        if operation in self._unsupported_seen or len(self._unsupported_seen) >= _MAX_UNSUPPORTED_REPORTED:
            return
        self._unsupported_seen.add(operation)
        self._echo(f"{self.camera.config.name}: {operation[:80]} is not supported (fault, HTTP {status}; "
                   "said once per operation)")

    def abort_pending(self) -> None:
        """Drop connections held open by a silent camera (at stop)."""
        for request in list(self._hanging):
            request.channel.transport.abortConnection()
        self._hanging.clear()

    def _unavailable(self, request: server.Request) -> bool:
        """A rebooting camera resets connections; a silent one never answers; behind a cut link a
        request goes through when the link is back."""
        if self.camera.is_down():
            request.channel.transport.abortConnection()
            return True
        if self.camera.link_cut:
            self.camera.when_linked(lambda: self._resume(request))
            return True
        if self.camera.silent:
            self._hanging.add(request)
            request.notifyFinish().addBoth(lambda _: self._hanging.discard(request))
            return True
        return False

    # --- answers -----------------------------------------------------------------------------
    def _fault(self, request, status: int, code: str, subcodes: list[str], reason: str) -> bytes | int:
        request.setResponseCode(status)
        return self._write(request, build_fault(code, subcodes, reason))

    def _send(self, request, body: str) -> bytes | int:
        return self._write(request, build_envelope(body))

    def _write(self, request, payload: bytes) -> bytes | int:
        mode = self.camera.misbehaviour
        request.setHeader(b"content-type", _SOAP_CONTENT_TYPE)
        if mode == "none":
            return payload
        self.camera.requests[f"misbehaved_{mode}"] += 1
        if mode == "garbage":
            return b"\x00\x01<<not xml at all>>\xff" + payload[:40]
        if mode == "entity_bomb":
            return _ENTITY_BOMB
        if mode == "huge":
            filler = b"<tt:Padding>" + b"A" * (4 * 1024 * 1024) + b"</tt:Padding>"
            return payload.replace(b"<env:Body>", b"<env:Body>" + filler, 1)
        if mode == "half":
            request.setHeader(b"content-length", str(len(payload)).encode())
            request.write(payload[: len(payload) // 2])
            request.channel.transport.loseConnection()
            return server.NOT_DONE_YET
        if mode == "bad_fault":
            request.setResponseCode(500)
            return build_envelope("<env:Fault><Oops>nothing a SOAP fault should hold</Oops></env:Fault>")
        if mode == "html_error":
            request.setResponseCode(500)
            request.setHeader(b"content-type", b"text/html")
            return b"<html><body><h1>500 Internal Server Error</h1></body></html>"
        if mode == "slow":
            call = self.camera.reactor.callLater(self.camera.slow_delay, self._finish, request, payload)
            request.notifyFinish().addErrback(lambda _: call.active() and call.cancel())
            return server.NOT_DONE_YET
        raise AssertionError(mode)

    def _resume(self, request: server.Request) -> None:
        """Serve a request that waited for a cut link."""
        if request._disconnected or request.finished:
            return
        payload = self.render(request)
        if payload is not server.NOT_DONE_YET:
            request.write(payload)
            request.finish()

    @staticmethod
    def _finish(request, payload: bytes) -> None:
        if not request.finished and not request._disconnected:
            request.write(payload)
            request.finish()

    def _deliver_later(self, request, result: defer.Deferred) -> None:
        def answer(body: str) -> None:
            if request._disconnected or request.finished:
                return
            if self.camera.link_cut:  # the answer is ready, the cable is not
                self.camera.when_linked(lambda: answer(body))
                return
            if self.camera.is_down():  # rebooted while the pull was waiting
                request.channel.transport.abortConnection()
                return
            payload = self._send(request, body)
            if payload is not server.NOT_DONE_YET:
                request.write(payload)
                request.finish()

        def failed(failure) -> None:
            if self.camera.is_down() and not (request._disconnected or request.finished):
                request.channel.transport.abortConnection()  # rebooted while the pull was waiting
            elif failure.check(SoapFault) and not (request._disconnected or request.finished):
                fault = failure.value
                request.setResponseCode(fault.status)
                payload = self._write(request, build_fault(fault.code, fault.subcodes, fault.reason))
                if payload is not server.NOT_DONE_YET:
                    request.write(payload)
                    request.finish()
            elif not failure.check(defer.CancelledError):
                self._echo(f"{self.camera.config.name}: internal error {failure.getErrorMessage()}")

        result.addCallbacks(answer, failed)
        request.notifyFinish().addErrback(lambda _: result.cancel())
