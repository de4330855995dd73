"""Loading ``hub.yaml``: YAML with marks -> ``${...}`` references -> schema -> cross-references ->
adapter options. Every stage runs even when an earlier one found problems (as far as the data
allows), so one run reports every problem."""
from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping

import pydantic

from hub.config.errors import validation_problems
from hub.config.interpolate import interpolate
from hub.config.linkage_references import check_linkage_references
from hub.config.model import HubConfig
from hub.config.plugin_options import check_plugin_options
from hub.config.problems import ConfigError, Problem
from hub.config.references import check_references
from hub.config.source import parse_yaml, read_yaml_file

__all__ = ["load", "load_text", "collect_problems"]


def load(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> HubConfig:
    """Load and validate the config file at ``path``; raise :class:`ConfigError` listing every
    problem. ``env`` replaces ``os.environ`` for ``${NAME}`` references."""
    config, problems = collect_problems(path, env=env)
    if problems:
        raise ConfigError(problems)
    assert config is not None
    return config


def load_text(text: str, source_name: str = "<config>", *, base_dir: str | os.PathLike[str] | None = None,
              env: Mapping[str, str] | None = None) -> HubConfig:
    """Load config from ``text``; problems name ``source_name``. Relative paths resolve against
    ``base_dir`` (default: the current directory)."""
    config, problems = _collect_text(text, source_name, pathlib.Path(base_dir or pathlib.Path.cwd()),
                                     os.environ if env is None else env)
    if problems:
        raise ConfigError(problems)
    assert config is not None
    return config


def collect_problems(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None
                     ) -> tuple[HubConfig | None, list[Problem]]:
    """(config, []) if the file at ``path`` is valid, else (None, every problem)."""
    name = os.fspath(path)
    text, problems = read_yaml_file(name)
    if text is None:
        return None, problems
    base_dir = pathlib.Path(name).resolve().parent
    return _collect_text(text, name, base_dir, os.environ if env is None else env)


def _collect_text(text: str, source_name: str, base_dir: pathlib.Path, env: Mapping[str, str]
                  ) -> tuple[HubConfig | None, list[Problem]]:
    doc, yaml_problems = parse_yaml(text, source_name)
    if doc is None:
        return None, yaml_problems
    substituted, reference_problems = interpolate(doc, env, base_dir)
    problems = yaml_problems + reference_problems
    config = None
    try:
        config = HubConfig.model_validate(doc.data, context={"base_dir": base_dir})
    except pydantic.ValidationError as exc:
        problems += validation_problems(exc, doc, model=HubConfig, data=doc.data, substituted=substituted)
    problems += check_references(doc)
    problems += check_linkage_references(doc, base_dir)
    options = check_plugin_options(doc, substituted, base_dir)
    problems += options.problems
    if problems:
        return None, _distinct(problems, reported_first=yaml_problems + reference_problems, main_file=source_name)
    assert config is not None
    return _with_plugin_options(config, options.adapters, options.devices, options.uplinks), []


def _distinct(problems: list[Problem], reported_first: list[Problem], main_file: str) -> list[Problem]:
    """Drop repeats (a profile several devices name is reported once), and follow-on problems at
    a path where YAML or a ${...} reference already failed (the schema then sees a placeholder, not
    what the author meant). The config file's own problems come first, then other files'."""
    failed_references = {(problem.file, problem.path) for problem in reported_first if problem.path}
    seen: set[Problem] = set()
    kept = []
    for problem in problems:
        if problem in seen or ((problem.file, problem.path) in failed_references and problem not in reported_first):
            continue
        seen.add(problem)
        kept.append(problem)
    return sorted(kept, key=lambda p: (p.file != main_file, p.file, p.line, p.column, p.path))


def _with_plugin_options(config: HubConfig, adapters: dict[int, pydantic.BaseModel],
                         devices: dict[int, pydantic.BaseModel], uplinks: dict[int, pydantic.BaseModel]) -> HubConfig:
    return config.model_copy(update={
        "uplinks": [u.model_copy(update={"options": uplinks[i]}) for i, u in enumerate(config.uplinks)],
        "adapters": [a.model_copy(update={"options": adapters[i]}) for i, a in enumerate(config.adapters)],
        "devices": [d.model_copy(update={"options": devices[i]}) for i, d in enumerate(config.devices)],
    })
