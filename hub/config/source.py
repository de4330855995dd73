"""Reading YAML into plain data while remembering where every key and value was written.

PyYAML's ``compose`` gives nodes with marks; we build dicts/lists/scalars from them ourselves so
that each value keeps its line and column, duplicate keys become problems instead of silently
winning, and plain scalars follow the YAML 1.2 core schema (``off``, ``yes`` and ``no`` are
strings, not booleans: ``durability: off`` means the string "off").
"""
from __future__ import annotations

import dataclasses
import math
import os
import pathlib
import re
from typing import Any

import yaml

from hub.config.problems import Path, Problem, format_path

__all__ = ["Document", "parse_yaml"]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TOO_DEEP = ("YAML is nested too deeply", "at most a few hundred levels")
_TAG = "tag:yaml.org,2002:"


# libyaml's parser when PyYAML was built with it: the pure-Python scanner takes seconds per MB.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_C_PARSER = _BaseLoader is not yaml.SafeLoader


class _CoreSchemaLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader whose implicit typing is the YAML 1.2 core schema, not YAML 1.1's."""


_CoreSchemaLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+.0123456789")),
    ("merge", r"^(?:<<)$", ["<"]),
]:
    _CoreSchemaLoader.add_implicit_resolver(_TAG + _tag, re.compile(_pattern), _first)


def _int(text: str) -> int:
    if text.startswith("0x"):
        return int(text[2:], 16)
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 10)


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(text)


_SCALARS = {
    _TAG + "str": str,
    _TAG + "null": lambda text: None,
    _TAG + "bool": lambda text: text.lower() == "true",
    _TAG + "int": _int,
    _TAG + "float": _float,
}


@dataclasses.dataclass
class Document:
    """Plain data from one YAML file plus the 1-based (line, column) of every key and value."""

    file: str
    data: Any
    value_marks: dict[Path, tuple[int, int]] = dataclasses.field(default_factory=dict)
    key_marks: dict[Path, tuple[int, int]] = dataclasses.field(default_factory=dict)

    def mark(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Where ``path`` was written (its key if ``key``), else its nearest written ancestor."""
        path = tuple(path)
        if key and path in self.key_marks:
            return self.key_marks[path]
        while path:
            if path in self.value_marks:
                return self.value_marks[path]
            path = path[:-1]
        return self.value_marks.get((), (1, 1))

    def problem(self, path: Path, message: str, expected: str = "", *, key: bool = False) -> Problem:
        line, column = self.mark(path, key=key)
        return Problem(self.file, line, column, format_path(tuple(path)), message, expected)


def _position(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


#: What an empty hub.yaml should hold instead.
HUB_TOP_LEVEL = "a mapping of sections such as sites:, adapters:, devices:, subscribers:"


def parse_yaml(text: str, file: str, *, expected: str = HUB_TOP_LEVEL) -> tuple[Document | None, list[Problem]]:
    """Parse ``text``; return the document (None if unusable) and every problem found.
    ``expected`` says what the file should hold, for the message about an empty file."""
    try:
        root = yaml.compose(text, Loader=_CoreSchemaLoader)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, text, file)]
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(exc, text, file)]
    except yaml.YAMLError as exc:  # anything else PyYAML may raise without a mark
        return None, [Problem(file, 1, 1, "", f"YAML error: {exc}", "valid YAML")]
    except RecursionError:
        return None, [Problem(file, 1, 1, "", *_TOO_DEEP)]
    if root is None:
        return None, [Problem(file, 1, 1, "", "the file is empty", expected)]
    builder = _Builder(Document(file, None), _count_nodes(root))
    try:
        builder.doc.data = builder.build(root, ())
    except RecursionError:
        builder.problems.append(Problem(file, 1, 1, "", *_TOO_DEEP))
        return None, builder.problems
    except _TooLarge:
        line, column = _position(root.start_mark)
        builder.problems.append(Problem(file, line, column, "",
                                        "aliases expand the document beyond a sane size",
                                        "fewer or smaller aliases (*name)"))
        return None, builder.problems
    return builder.doc, builder.problems


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    lines = text.splitlines() or [""]
    mark = exc.problem_mark or exc.context_mark
    line, column = _position(mark) if mark else (1, 1)
    if line > len(lines):  # "unexpected end of stream" points past the end: show the last line
        line, column = len(lines), len(lines[-1]) + 1
    what = exc.problem or "invalid YAML"
    if exc.context and exc.context_mark and exc.context_mark is not mark:
        what += f" ({exc.context} on line {min(exc.context_mark.line + 1, len(lines))})"
    elif exc.context:
        what += f" ({exc.context})"
    expected = ("spaces for indentation (YAML does not allow tabs)" if "\t" in lines[line - 1]
                else "valid YAML (check indentation, quotes and colons)")
    return Problem(file, line, column, "", f"YAML syntax error: {what}", expected)


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str) -> Problem:
    # libyaml reports a byte offset into the UTF-8 text, the Python reader a character offset.
    before = text.encode("utf-8")[:exc.position].decode("utf-8", "ignore") if _C_PARSER else text[:exc.position]
    line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return Problem(file, line, column, "", f"control character U+{code:04X} is not allowed in YAML",
                   "printable text (UTF-8)")


def _count_nodes(root: yaml.Node) -> int:
    """Distinct nodes in the composed graph (aliases count once)."""
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                pending += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            pending += node.value
    return len(seen)


class _TooLarge(Exception):
    pass


class _Builder:
    def __init__(self, doc: Document, distinct_nodes: int) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        # Aliases may repeat nodes; cap the expansion so an alias bomb is a problem, not a hang.
        self.budget = 10 * distinct_nodes + 100_000
        self.ancestors: set[int] = set()

    def add(self, node: yaml.Node, path: Path, message: str, expected: str = "") -> None:
        line, column = _position(node.start_mark)
        self.problems.append(Problem(self.doc.file, line, column, format_path(path), message, expected))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge
        self.doc.value_marks[path] = _position(node.start_mark)
        if id(node) in self.ancestors:
            self.add(node, path, "an alias refers to a node that contains it", "a non-recursive structure")
            return None
        self.ancestors.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, path + (index,)) for index, item in enumerate(node.value)]
            return self.scalar(node, path)
        finally:
            self.ancestors.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        convert = _SCALARS.get(node.tag)
        if convert is None:
            self.add(node, path, f"unsupported YAML tag {node.tag!r}", "plain values without ! tags")
            return None
        try:
            return convert(node.value)
        except ValueError:
            self.add(node, path, f"value does not match its tag {node.tag!r}", "a value of that type")
            return None

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        explicit = [(k, v) for k, v in node.value if k.tag != _MERGE_TAG]
        # YAML merge keys (<<: *defaults) first, so that keys written explicitly overwrite both the
        # merged value and its marks; an earlier merge source wins over a later one.
        for key_node, merge in node.value:
            if key_node.tag != _MERGE_TAG:
                continue
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self.add(source, path, "'<<' must merge a mapping or a list of mappings",
                             "<<: *anchor_of_a_mapping")
                    continue
                for key, value in self.build(source, path).items():
                    result.setdefault(key, value)
        first_seen: dict[str, yaml.Node] = {}
        for key_node, value_node in explicit:
            if not isinstance(key_node, yaml.ScalarNode):
                self.add(key_node, path, "a key must be plain text, not a list or mapping", "a name before ':'")
                continue
            key = key_node.value
            if key in first_seen:
                line, _ = _position(first_seen[key].start_mark)
                self.add(key_node, path + (key,), f"duplicate key {key!r} (first given on line {line})",
                         "each key once per mapping")
                continue
            first_seen[key] = key_node
            self.doc.key_marks[path + (key,)] = _position(key_node.start_mark)
            result[key] = self.build(value_node, path + (key,))
            if isinstance(value_node, (yaml.MappingNode, yaml.SequenceNode)):
                # A problem with a whole block ("this scope would see nothing") reads best at its key.
                self.doc.value_marks[path + (key,)] = _position(key_node.start_mark)
        self.doc.value_marks[path] = _position(node.start_mark)
        return result


def read_yaml_file(path: str | os.PathLike[str], expected: str = "a readable YAML file", what: str = "the file"
                   ) -> tuple[str | None, list[Problem]]:
    """The file's text, or None and the problem saying why ``what`` cannot be read (``expected``
    says what should be there instead)."""
    name = os.fspath(path)
    try:
        return pathlib.Path(name).read_text(encoding="utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [Problem(name, 0, 0, "", f"is not UTF-8 text (byte {exc.start})", "a UTF-8 YAML file")]
    except OSError as exc:
        return None, [Problem(name, 0, 0, "", f"cannot read {what}: {exc.strerror or exc}", expected)]
