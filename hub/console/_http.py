"""HTTP plumbing of the console on twisted.web: a request that refuses oversized bodies without
storing them, the security headers every answer carries, cookies, and form fields."""
from __future__ import annotations

import urllib.parse

from twisted.web import server

#: No inline script or style, nothing from elsewhere: htmx, its SSE extension, leaflet and the
#: console's own script are files served by the hub.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    b"Content-Security-Policy": CONTENT_SECURITY_POLICY.encode(),
    b"X-Content-Type-Options": b"nosniff",
    b"Referrer-Policy": b"no-referrer",
    b"X-Frame-Options": b"DENY",
    b"Cross-Origin-Opener-Policy": b"same-origin",
}


class Answer(Exception):
    """Ends a handler with this status and body (a refusal, a redirect)."""

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class ConsoleRequest(server.Request):
    """A request whose body is dropped past the site's ``max_body`` bytes (answered 413), so an
    oversized upload costs neither memory nor disk."""

    too_large = False
    _body_received = 0
    _limit = 0

    def gotLength(self, length):
        self._limit = self.channel.site.limit_for(getattr(self.channel, "_path", b""))
        limit = self._limit
        if length is not None and length > limit:
            self.too_large = True
            length = 0  # (nothing will be stored: a small in-memory buffer)
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.too_large:
            return
        self._body_received += len(data)
        if self._body_received > self._limit:  # (chunked: no length said)
            self.too_large = True
            self.content.seek(0)
            self.content.truncate()
            return
        super().handleContentChunk(data)


class ConsoleSite(server.Site):
    requestFactory = ConsoleRequest

    def __init__(self, resource, max_body: int, upload_limits: dict[bytes, int] | None = None) -> None:
        super().__init__(resource)
        self.max_body = max_body
        #: Larger limits for the paths that take an upload (a ledger photo).
        self.upload_limits = upload_limits or {}

    def limit_for(self, target: bytes) -> int:
        """The body limit of a request for ``target`` (path and query, as on the request line)."""
        return self.upload_limits.get(target.split(b"?", 1)[0], self.max_body)
        self.displayTracebacks = False

    def log(self, request) -> None:  # access logs are not the hub's business (structlog logs what matters)
        pass


def field(request, name: str, limit: int = 8192) -> str:
    """A form or query field as text ('' when absent), cut at ``limit`` characters."""
    values = request.args.get(name.encode(), [b""])
    return values[0].decode("utf-8", "replace")[:limit]


def cookie(request, name: str) -> str:
    value = request.getCookie(name.encode())
    return value.decode("ascii", "replace") if value else ""


def set_cookie(request, name: str, value: str, *, secure: bool, max_age: int | None = None,
               http_only: bool = True) -> None:
    request.addCookie(name.encode(), value.encode(), path=b"/", httpOnly=http_only, secure=secure,
                      sameSite=b"strict", max_age=str(max_age).encode() if max_age is not None else None)


def safe_next(value: str) -> str:
    """A redirect target only within the console (no //host, no scheme)."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value or any(c < " " for c in value):
        return "/alarms"
    return value


def here(request) -> str:
    """The path and query of the request, for a language switch to come back to."""
    return safe_next(request.uri.decode("utf-8", "replace"))


def quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")
