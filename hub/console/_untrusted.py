"""What the console reads from a browser before anything is looked up, in one place so the
property tests and the fuzz target cover it: the resume position of a live stream, redirect
targets, the Origin check, SSE framing of values that came from devices and operators, and the
place and dates of a hazard registration form."""
import datetime as dt
import urllib.parse

from hub.console._http import safe_next
from hub.console._sse import frame, resume_position


def same_origin(origin: bytes | None, host: bytes) -> bool:
    """A POST comes from this console: no Origin header (the CSRF token decides), or this host."""
    if origin is None:
        return True
    return origin in (b"http://" + host, b"https://" + host)


def place_value(school: str, building: str = "") -> str:
    """A form's value for a school, or a building of it: each part quoted, so either may hold
    any character ("/" too)."""
    value = urllib.parse.quote(school, safe="")
    return value + "/" + urllib.parse.quote(building, safe="") if building else value


def parse_place(value: str) -> tuple[str, str] | None:
    """(school, building) of a :func:`place_value` ("" building: the whole school), or None."""
    parts = value.split("/")
    if len(parts) > 2:
        return None
    try:
        school, building = (urllib.parse.unquote(part, errors="strict") for part in (*parts, "")[:2])
    except UnicodeDecodeError:
        return None
    if not school or (len(parts) == 2 and not building):
        return None
    return school, building


def parse_day(text: str) -> dt.date | None:
    """A date field as browsers send it (YYYY-MM-DD, ASCII digits), or None."""
    text = text.strip()
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    parts = (text[:4], text[5:7], text[8:])
    if not all(part.isascii() and part.isdigit() for part in parts):
        return None
    try:
        return dt.date(*(int(part) for part in parts))
    except ValueError:
        return None


__all__ = ["frame", "parse_day", "parse_place", "place_value", "resume_position", "safe_next", "same_origin"]
