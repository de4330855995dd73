"""Profile text the fuzz campaign of issue 19 found: a profile error at file:line, not a crash."""
from __future__ import annotations

import pytest

from adapters.modbus.profile import ProfileError, parse_profile

ZONES = """\
profile: t
blocks:
  - {{name: a, start: 0, count: 10}}
signals:
  - name: zone
    scope: {scope}
    address: 0
    repeat: 4
    first: {first}
    loop_size: {loop_size}
    bits: {{0: {{event: fire.alarm}}}}
"""


@pytest.mark.parametrize("scope, field, line", [("zone", "first", 9), ("point", "first", 9), ("point", "loop_size", 10)])
def test_a_number_too_long_to_print_is_a_profile_error_at_its_line(scope, field, line):
    huge = "0x" + "f" * 3600  # more than 4300 decimal digits: str() of it raises ValueError
    values = {"first": 1, "loop_size": 2 if scope == "point" else 0, field: huge}
    with pytest.raises(ProfileError) as info:
        parse_profile(ZONES.format(scope=scope, **values), "p.yaml")
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == 1 and problems[0].startswith(f"p.yaml:{line}:")
    assert len(problems[0]) < 300  # names the field, does not print the number
