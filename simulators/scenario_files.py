"""What the simulators' scenario loaders share: one error carrying file:line problems, and reading
a file with the hub config's reader (so a scenario mistake reads like ``campus-hub check``'s)."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from hub.config.problems import ConfigError
from hub.config.source import read_yaml_file

__all__ = ["ScenarioFileError", "read_scenario_file"]

Loaded = TypeVar("Loaded")


class ScenarioFileError(ConfigError):
    """The scenario is invalid; ``problems`` lists every problem, each with file:line."""


def read_scenario_file(path: str | os.PathLike[str], load_text: Callable[[str, str], Loaded]) -> Loaded:
    """``load_text(text, path)`` of the file at ``path``; :class:`ScenarioFileError` if it cannot be read."""
    text, problems = read_yaml_file(path, "a readable scenario .yaml file", what="scenario")
    if text is None:
        raise ScenarioFileError(problems)
    return load_text(text, os.fspath(path))
