"""What the console reads from a browser before anything is looked up, in one place so the
property tests and the fuzz target cover it: the resume position of a live stream, redirect
targets, the Origin check, and SSE framing of values that came from devices and operators."""
from hub.console._http import safe_next
from hub.console._sse import frame, resume_position


def same_origin(origin: bytes | None, host: bytes) -> bool:
    """A POST comes from this console: no Origin header (the CSRF token decides), or this host."""
    if origin is None:
        return True
    return origin in (b"http://" + host, b"https://" + host)


__all__ = ["frame", "resume_position", "safe_next", "same_origin"]
