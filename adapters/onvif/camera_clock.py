"""A camera's clock from ``GetSystemDateAndTime``, also when it only tells local time.

Some cameras leave out ``UTCDateTime`` and give ``LocalDateTime`` plus a POSIX ``TZ`` string
(ONVIF's TimeZone): ``CST-8`` for China Standard Time, ``UTC0``, ``<+08>-8``. A POSIX offset is
hours *west* of Greenwich, so ``CST-8`` is UTC+8. A zone with a daylight-saving part (``EST5EDT,...``)
is not resolved: whether DST is in force needs its rules, which cameras write inconsistently, so
such a camera's time is reported unknown rather than guessed an hour wrong.
"""
from __future__ import annotations

import calendar
import re

# std name (letters, or <...> quoted), then the offset; an optional DST part follows.
_POSIX_TZ = re.compile(r"^(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]+>)([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?(.*)$", re.ASCII)


def utc_offset_of_posix_tz(tz: str) -> float | None:
    """Seconds *east* of UTC of a POSIX TZ string without DST; None if it has DST or is unreadable."""
    match = _POSIX_TZ.match(tz.strip())
    if match is None or match[5]:
        return None
    sign, hours, minutes, seconds = match[1], int(match[2]), int(match[3] or 0), int(match[4] or 0)
    if hours > 24 or minutes > 59 or seconds > 59:
        return None
    west = hours * 3600 + minutes * 60 + seconds
    return float(west if sign == "-" else -west)


def epoch_of(date_time) -> float:
    """Epoch seconds of an ONVIF DateTime (Date.Year/Month/Day, Time.Hour/Minute/Second) read as UTC."""
    return float(calendar.timegm((date_time.Date.Year, date_time.Date.Month, date_time.Date.Day,
                                  date_time.Time.Hour, date_time.Time.Minute, date_time.Time.Second)))


def camera_utc_epoch(answer) -> tuple[float | None, str]:
    """(the camera's UTC epoch seconds or None, where that came from) from GetSystemDateAndTime."""
    utc = getattr(answer, "UTCDateTime", None)
    if utc is not None:
        return epoch_of(utc), "utc"
    local = getattr(answer, "LocalDateTime", None)
    zone = getattr(getattr(answer, "TimeZone", None), "TZ", None)
    if local is None or not zone:
        return None, "no UTC time and no time zone"
    offset = utc_offset_of_posix_tz(str(zone))
    if offset is None:
        return None, f"local time in zone {zone!r}, which this hub cannot resolve (daylight saving)"
    return epoch_of(local) - offset, f"local time in zone {zone}"
