"""What a config check reports: :class:`Problem` (one mistake, with file:line) and
:class:`ConfigError` (all of them at once)."""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence

__all__ = ["ConfigError", "Path", "Problem", "format_path"]

#: A location inside the document: mapping keys (str) and sequence indexes (int).
Path = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def format_path(path: Path) -> str:
    """``("devices", 3, "site", "school_id")`` -> ``devices[3].site.school_id``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a config file.

    ``line`` and ``column`` are 1-based (0 when unknown); ``path`` is the dotted location of the
    offending value (``devices[3].site.school_id``, empty for the whole file); ``message`` says what
    is wrong and ``expected`` (may be empty) what would be right. Neither ever contains a secret.
    """

    file: str
    line: int
    column: int
    path: str
    message: str
    expected: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text}; expected {self.expected}" if self.expected else text


class ConfigError(Exception):
    """The config is invalid; ``problems`` lists every problem found, in file order (files in the
    order they were first named: a config's own problems before those of a profile it names)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        problems = list(problems)
        file_order = {file: index for index, file in reversed(list(enumerate(p.file for p in problems)))}
        self.problems: list[Problem] = sorted(problems, key=lambda p: (file_order[p.file], p.line, p.column, p.path))
        if not self.problems:
            raise ValueError("ConfigError needs at least one problem")
        super().__init__(self._describe(self.problems))

    @staticmethod
    def _describe(problems: Sequence[Problem]) -> str:
        count = len(problems)
        head = f"{problems[0].file}: {count} problem{'s' if count != 1 else ''}"
        return "\n".join([head, *(str(p) for p in problems)])
