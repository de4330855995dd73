"""GB/T 2260 administrative region codes (``140802``: province 14, prefecture 08, county 02).

Rules (GB/T 2260): digits 1-2 are a province that exists; digits 3-4 are 00 (the
province itself), 01-70 (city, prefecture or league) or 90 (county-level unit administered by the
province); digits 5-6 are 00 (the prefecture itself) or 01-99 (district, county, county-level city),
and must be 00 when digits 3-4 are.
"""
from __future__ import annotations

import re

__all__ = ["LEVELS", "PROVINCES", "city_of", "county_of", "level_of", "parent", "province_of", "validate_region_code",
           "validate_region_prefix"]

#: Province-level codes in use: the 31 mainland provinces, Taiwan, Hong Kong and Macao.
PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82]
)
PROVINCES_TEXT = "11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82"
CODE_EXPECTED = 'a GB/T 2260 six-digit region code such as "140802" (province 14, prefecture 08, county 02)'
PREFIX_EXPECTED = 'a region-code prefix of 2, 4 or 6 digits: "14" (province), "1408" (city), "140802" (county)'

_DIGITS = re.compile(r"[0-9]+\Z")


def _check_province(code: str) -> None:
    if int(code[:2]) not in PROVINCES:
        raise ValueError(f"province {code[:2]!r} in {code!r} does not exist; "
                         f"expected a province code (digits 1-2) of {PROVINCES_TEXT}")


def _check_prefecture(code: str) -> None:
    prefecture = int(code[2:4])
    if not (prefecture <= 70 or prefecture == 90):
        raise ValueError(f"prefecture {code[2:4]!r} in {code!r} is not a GB/T 2260 prefecture; "
                         "expected a prefecture code (digits 3-4) of 00-70 or 90")


def validate_region_code(value: str) -> str:
    """Return ``value`` if it is a well-formed six-digit code, else raise ValueError."""
    if not _DIGITS.match(value) or len(value) != 6:
        raise ValueError(f"{value!r} is not six digits; expected {CODE_EXPECTED}")
    _check_province(value)
    _check_prefecture(value)
    if value[2:4] == "00" and value[4:] != "00":
        raise ValueError(f"{value!r} has a county part without a prefecture; expected {CODE_EXPECTED}")
    return value


def validate_region_prefix(value: str) -> str:
    """Return ``value`` if it is a 2-, 4- or 6-digit prefix of real codes, else raise ValueError."""
    if not _DIGITS.match(value) or len(value) not in (2, 4, 6):
        raise ValueError(f"{value!r} is not 2, 4 or 6 digits; expected {PREFIX_EXPECTED}")
    if len(value) == 6:
        return validate_region_code(value)
    _check_province(value)
    if len(value) == 4:
        if value[2:] == "00":
            raise ValueError(f"{value!r} names no prefecture; expected {value[:2]!r} for the whole province, "
                             f"or {PREFIX_EXPECTED}")
        _check_prefecture(value)
    return value


#: The administrative levels above a school, top first.
LEVELS = ("province", "city", "county")


def level_of(prefix: str) -> str:
    """The level a code or prefix names: "province" (``14`` or ``140000``), "city" (``1408`` or
    ``140800``) or "county" (``140802``)."""
    prefix = _short(prefix)
    return LEVELS[len(prefix) // 2 - 1]


def parent(prefix: str) -> str | None:
    """The region one level up, as a short prefix (``140802`` → ``1408``, ``1408`` → ``14``),
    or None for a province."""
    prefix = _short(prefix)
    return prefix[:-2] if len(prefix) > 2 else None


def province_of(code: str) -> str:
    return _short(code)[:2]


def city_of(code: str) -> str | None:
    """The city (prefecture) prefix of a code, None for a province's own code."""
    short = _short(code)
    return short[:4] if len(short) >= 4 else None


def county_of(code: str) -> str | None:
    """The county code, None when the code names a province or a city."""
    short = _short(code)
    return short if len(short) == 6 else None


def _short(code: str) -> str:
    """``140800`` → ``1408``: trailing "00" pairs name the level above (GB/T 2260)."""
    validate_region_prefix(code)
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code
