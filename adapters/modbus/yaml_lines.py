"""Load YAML keeping the line of every value, so validation errors can say file:line.

PyYAML's composer gives nodes with ``start_mark``; we build plain Python data from them and an
index from each value's path (the ``loc`` tuples pydantic reports) to its 1-based line.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pydantic
import yaml

__all__ = ["LocatedYaml", "Problem", "YamlLoadError", "load_located", "problems_from_validation"]


class YamlLoadError(ValueError):
    """The text is not YAML we accept (syntax error, duplicate key, anchors/tags we don't take)."""

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.source, self.line, self.message = source, line, message


@dataclasses.dataclass(frozen=True)
class LocatedYaml:
    source: str
    data: Any
    lines: dict[tuple, int]

    def line_of(self, loc: Sequence[Any]) -> int:
        """Line of the deepest known prefix of ``loc`` (pydantic locs may name a missing key)."""
        path = tuple(loc)
        while path:
            for candidate in (path, tuple(str(p) for p in path)):
                if candidate in self.lines:
                    return self.lines[candidate]
            path = path[:-1]
        return self.lines.get((), 1)


def load_located(text: str, source: str) -> LocatedYaml:
    """Parse one YAML document of mappings, sequences and scalars into data plus a line index."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlLoadError(source, (mark.line + 1) if mark else 1, f"not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(source, 1, f"not valid YAML: {exc}") from None
    lines: dict[tuple, int] = {(): 1}
    if node is None:
        return LocatedYaml(source, None, lines)
    constructor = yaml.SafeLoader("")

    def build(n: yaml.Node, path: tuple) -> Any:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise YamlLoadError(source, key_node.start_mark.line + 1, "mapping keys must be plain scalars")
                key = constructor.construct_object(key_node)
                if key == "<<":
                    raise YamlLoadError(source, key_node.start_mark.line + 1, "merge keys (<<) are not supported")
                if key in result:
                    raise YamlLoadError(source, key_node.start_mark.line + 1, f"duplicate key {key!r}")
                result[key] = build(value_node, path + (key,))
                # The key's own line is where a reader looks for it.
                lines[path + (key,)] = key_node.start_mark.line + 1
            return result
        if isinstance(n, yaml.SequenceNode):
            return [build(item, path + (index,)) for index, item in enumerate(n.value)]
        return constructor.construct_object(n)

    try:
        data = build(node, ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise YamlLoadError(source, (mark.line + 1) if mark else 1, f"unsupported YAML value: {exc.problem}") from None
    return LocatedYaml(source, data, lines)


@dataclasses.dataclass(frozen=True)
class Problem:
    """One mistake in a file: where and what."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


def problems_from_validation(located: LocatedYaml, exc: pydantic.ValidationError, docs: str) -> list[Problem]:
    """pydantic errors as file:line problems; ``docs`` names where the format is described."""
    problems = []
    for error in exc.errors():
        loc = error["loc"]
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown key (check spelling; see {docs})"
        elif error["type"] == "missing":
            message = "required key is missing"
        where = ".".join(str(p) for p in loc)
        problems.append(Problem(located.source, located.line_of(loc), f"{where}: {message}" if where else message))
    return problems
