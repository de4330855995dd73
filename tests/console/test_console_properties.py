"""Properties of the console's parsers of browser input and of the queue's pure parts."""
from __future__ import annotations

import datetime as dt
import json

from hypothesis import example, given, strategies as st

from hub.console._sessions import LoginThrottle
from hub.console._untrusted import frame, parse_day, parse_place, place_value, resume_position, safe_next, same_origin
from hub.console._views import strip


@given(st.text(), st.text(), st.integers(0, 10**12))
@example(last_event_id="", after="\u00b9", head=0)  # CI found it: '¹'.isdigit() but int('¹') fails
@example(last_event_id="\u00b9", after="", head=0)
def test_a_resume_position_is_a_sequence_or_the_head(last_event_id, after, head):
    position = resume_position(last_event_id, after, head)
    assert position == head or 0 <= position < 10**18
    text = last_event_id.strip()
    if text.isascii() and text.isdigit() and len(text) <= 18:
        assert position == int(text)  # the browser's Last-Event-ID wins


@given(st.text())
def test_a_redirect_never_leaves_the_console(target):
    redirect = safe_next(target)
    assert redirect.startswith("/") and not redirect.startswith("//") and "\\" not in redirect
    assert all(ord(c) >= 32 for c in redirect)


@given(st.binary(max_size=40) | st.none(), st.binary(max_size=40))
def test_only_this_host_is_the_same_origin(origin, host):
    assert same_origin(origin, host) == (origin is None or origin in (b"http://" + host, b"https://" + host))


@given(st.text(), st.integers(0, 2**62))
def test_an_sse_frame_of_any_text_is_one_event_with_that_text(text, sequence):
    body = frame("alarm", {"id": text}, sequence).decode("utf-8")
    lines = body.split("\n")
    assert lines[:2] == [f"id: {sequence}", "event: alarm"] and lines[3:] == ["", ""] and "\r" not in body
    assert json.loads(lines[2].removeprefix("data: ")) == {"id": text}


@given(st.lists(st.tuples(st.floats(0, 200), st.sampled_from(["online", "offline", "faulty"])), max_size=30)
       .map(sorted), st.floats(1, 100))
def test_a_history_strip_covers_the_window_without_overlap(transitions, window):
    now = 200.0
    segments = strip(transitions, now, window)
    assert all(s.width > 0 for s in segments)
    assert all(a.x + a.width <= b.x for a, b in zip(segments, segments[1:]))
    assert sum(s.width for s in segments) <= 1000


@given(st.integers(1, 10), st.lists(st.sampled_from(["peer:a", "name:x"]), max_size=30))
def test_login_throttle_refuses_once_the_attempts_are_spent(attempts, failures):
    now = [0.0]
    throttle = LoginThrottle(attempts, 60.0, clock=lambda: now[0])
    for key in failures:
        throttle.failed(key)
    for key in ("peer:a", "name:x"):
        assert (throttle.retry_after(key) > 0) == (failures.count(key) >= attempts)
    now[0] = 61.0
    assert throttle.retry_after("peer:a", "name:x") == 0


@given(st.text(min_size=1), st.text())
@example(school="sch/a", building="楼 A/东")
def test_a_place_value_reads_back_as_its_school_and_building(school, building):
    assert parse_place(place_value(school, building)) == (school, building)


@given(st.text())
@example("%ff%fe")
@example("a//")
def test_a_place_field_is_a_school_and_building_or_nothing(text):
    place = parse_place(text)
    assert place is None or (isinstance(place[0], str) and place[0] and isinstance(place[1], str))


@given(st.dates())
def test_a_browsers_date_reads_back(day):
    assert parse_day(day.isoformat()) == day


@given(st.text(max_size=14))
@example("２０２６-01-01")
@example("2026-\u00b9-01")
@example("2026-02-30")
def test_a_date_field_is_a_date_or_nothing(text):
    day = parse_day(text)
    assert day is None or (isinstance(day, dt.date) and day.isoformat() == text.strip())
