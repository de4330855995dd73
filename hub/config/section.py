"""What every section model of ``hub.yaml`` shares: its pydantic settings, and the validator of
a value that must be one of a few names."""
from __future__ import annotations

import difflib
from collections.abc import Callable

import pydantic

__all__ = ["Section", "one_of"]


class Section(pydantic.BaseModel):
    # Unknown keys are errors; YAML numbers are accepted where text is meant (floor: 1, zone: 3).
    model_config = pydantic.ConfigDict(
        extra="forbid", frozen=True, coerce_numbers_to_str=True, validate_default=True,
        hide_input_in_errors=True,
    )


def one_of(kind: str, choices: tuple[str, ...]) -> Callable[[str], str]:
    """A validator: the value is one of ``choices``, else an error naming the closest."""
    def check(value: str) -> str:
        if value not in choices:
            close = difflib.get_close_matches(value, choices, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown {kind} {value!r}{hint}; expected one of: {', '.join(choices)}")
        return value
    return check
