"""Non-blocking SOAP over HTTP on the reactor (twisted.web's Agent) for the PullPoint loop.

Long-polling PullMessages on a thread each would need one thread per camera; this transport keeps
hundreds of pulls in flight on the event loop. Bodies come from the sans-IO builders, answers go to
the hardened sans-IO parser. Every call is bounded in time and size; failures are classified
:class:`~adapters.onvif.errors.CameraError`.
"""
from __future__ import annotations

import asyncio

from twisted.internet import defer, error, protocol
from twisted.web.client import Agent, HTTPConnectionPool, ResponseDone, ResponseFailed
from twisted.web.http_headers import Headers
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer

from adapters.onvif.errors import CameraError, FailureKind, fault_error
from adapters.onvif.soap import Envelope, SoapError, build_envelope, parse_envelope

__all__ = ["SoapHttpClient"]


@implementer(IBodyProducer)
class _BytesProducer:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.length = len(body)

    def startProducing(self, consumer):
        consumer.write(self.body)
        return defer.succeed(None)

    def pauseProducing(self):
        pass

    def stopProducing(self):
        pass


class _BoundedBody(protocol.Protocol):
    """Collects a response body, giving up (and dropping the connection) past ``limit`` bytes."""

    def __init__(self, limit: int, done: defer.Deferred) -> None:
        self.limit, self.done, self.parts, self.size = limit, done, [], 0

    def dataReceived(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            if not self.done.called:
                self.done.errback(CameraError(FailureKind.BAD_RESPONSE, f"response exceeds {self.limit} bytes"))
            self.transport.stopProducing()
            return
        self.parts.append(data)

    def connectionLost(self, reason) -> None:
        if self.done.called:
            return
        if reason.check(ResponseDone):
            self.done.callback(b"".join(self.parts))
        else:
            self.done.errback(CameraError(FailureKind.BAD_RESPONSE, "answer cut off half-way"))


class SoapHttpClient:
    """Posts SOAP 1.2 envelopes. One instance, and so one connection pool, serves every camera of
    an adapter: the pool keys its connections by scheme, host and port, and keeps at most
    ``per_host`` idle ones for each camera (a pull and a renew), so sharing it changes nothing a
    camera sees but saves a pool and an agent per camera."""

    def __init__(self, reactor, *, max_bytes: int, persistent: bool = True, per_host: int = 2) -> None:
        self._pool = HTTPConnectionPool(reactor, persistent=persistent)
        self._pool.maxPersistentPerHost = per_host
        self._agent = Agent(reactor, pool=self._pool, connectTimeout=10)
        self._max_bytes = max_bytes

    async def call(self, url: str, operation: str, body: str, header: str, *, timeout: float) -> Envelope:
        """POST and parse; raises CameraError (SOAP faults included)."""
        payload = build_envelope(body, header)
        headers = Headers({b"content-type": [b'application/soap+xml; charset=utf-8']})
        try:
            request = self._agent.request(b"POST", url.encode(), headers, _BytesProducer(payload))
            async with asyncio.timeout(timeout):  # (not wait_for: it can swallow a stop, gh-86296)
                status, data = await self._read(request).asFuture(asyncio.get_running_loop())
        except TimeoutError:
            raise CameraError(FailureKind.TIMEOUT, f"no answer in {timeout:g}s", operation=operation) from None
        except CameraError as exc:
            raise CameraError(exc.kind, exc.detail, operation=operation) from None
        except (error.ConnectError, error.ConnectionRefusedError, error.TimeoutError) as exc:
            raise CameraError(FailureKind.UNREACHABLE, type(exc).__name__, operation=operation) from None
        except (ResponseFailed, error.ConnectionLost, error.ConnectionDone) as exc:
            raise CameraError(FailureKind.UNREACHABLE, f"connection lost ({type(exc).__name__})", operation=operation) from None
        try:
            envelope = parse_envelope(data, max_bytes=self._max_bytes)
        except SoapError as exc:
            raise CameraError(FailureKind.BAD_RESPONSE, f"HTTP {status}: {exc}", operation=operation) from None
        if envelope.fault is not None:
            raise fault_error(envelope.fault, operation)
        if status != 200:
            raise CameraError(FailureKind.BAD_RESPONSE, f"HTTP {status} without a SOAP fault", operation=operation)
        return envelope

    @defer.inlineCallbacks
    def _read(self, request: defer.Deferred):
        response = yield request
        done: defer.Deferred = defer.Deferred()
        response.deliverBody(_BoundedBody(self._max_bytes, done))
        data = yield done
        return response.code, data

    async def close(self) -> None:
        await self._pool.closeCachedConnections().asFuture(asyncio.get_running_loop())
