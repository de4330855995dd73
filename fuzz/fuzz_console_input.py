"""The console's reading of browser input: a live stream's resume position (Last-Event-ID and
?after=), redirect targets (?next=), the Origin check, and SSE frames and escaped HTML of values
from devices and operators (names, comments, ids).

Input: NUL-separated parts (Last-Event-ID, after, next, origin, host, an untrusted text, a
registration form's place and date fields).
Contract: a resume position is a non-negative int within 18 digits or the head; a redirect stays
on the console (starts with one "/", no control characters, no backslash); an SSE frame of any
text is one event (no line break inside its data); rendered HTML of any text has no tag of it; a
place field is a school (and building) that reads back as the same field, or nothing; a date field
is the date it spells, or nothing.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

import jinja2  # noqa: E402

from hub.console._untrusted import (  # noqa: E402
    frame, parse_day, parse_place, place_value, resume_position, safe_next, same_origin,
)

HEAD = 1234
_ROW = jinja2.Environment(autoescape=True).from_string(
    '<td>{{ name }}</td><td title="{{ name }}">{{ comment }}</td><a href="/device?id={{ name|urlencode }}">')


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    parts = data.decode("utf-8", "replace").split("\0")
    parts += [""] * (8 - len(parts))
    last_event_id, after, target, origin, host, text, place_field, day_field = parts[:8]
    position = resume_position(last_event_id, after, HEAD)
    assert position == HEAD or (isinstance(position, int) and 0 <= position < 10**18)
    redirect = safe_next(target)
    assert redirect.startswith("/") and not redirect.startswith("//") and "\\" not in redirect
    assert not any(ord(c) < 32 for c in redirect)
    assert isinstance(same_origin(origin.encode() or None, host.encode()), bool)
    event = frame("alarm", {"id": text, "device": text, "revision": 1})
    body = event.decode("utf-8")
    assert body.endswith("\n\n") and body.count("\n") == 3 and "\r" not in body
    data_line = body.split("\n")[1]
    assert json.loads(data_line.removeprefix("data: "))["id"] == text
    place = parse_place(place_field)
    if place is not None:
        assert place[0] and parse_place(place_value(*place)) == place
    day = parse_day(day_field)
    assert day is None or day.isoformat() == day_field.strip()
    html = _ROW.render(name=text, comment=text)
    assert "<" not in html.replace("<td>", "").replace("</td>", "").replace('<td title="', "").replace(
        '<a href="/device?id=', "")


def seeds() -> dict[str, bytes]:
    return {
        "resume": b"41\x00\x00/alarms?f=all\x00http://127.0.0.1:8080\x00127.0.0.1:8080\x00panel-1",
        "after-only": b"\x0017\x00/alarm?id=pb-1/panic.alarm\x00\x00\x00pb-1/panic.alarm/gate",
        "hostile": b"1e9\x00-5\x00//evil.example/\x00http://evil.example\x00h\x00<img src=x onerror=alert(1)>\r\ndata: x",
        "unicode": "١٢٣\x00٤\x00/\\evil\x00null\x00h\x00一键报警 \u2028 </script>".encode(),
        "register": b"\x00\x00/hazard/new\x00\x00\x00x\x00sch-a/%E6%A5%BC%20A\x002026-12-31",
        "register-hostile": "\x00\x00\x00\x00\x00x\x00%ff/%2F/x\x00２０２６-02-30".encode(),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz
    fuzz(TestOneInput)  # (seeds() is the corpus fuzz.seeds writes)
