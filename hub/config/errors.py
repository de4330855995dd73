"""Turning pydantic validation errors into :class:`Problem` s a person can act on.

Each error's ``loc`` is mapped back to the YAML node it came from (falling back to the nearest
written ancestor: a missing key is reported where its mapping starts), and its message is
rephrased as "what is wrong; expected what is right". Values that came from ``${...}``
references or that sit in secret fields (SecretStr) are never quoted.

A validator that reads another file (a device profile named in adapter options) may raise a
:class:`ConfigError` that is also a ValueError: that file's problems are then reported at their
own file:line, plus one problem at the value that named the file.
"""
from __future__ import annotations

import difflib
import types
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

import pydantic

from hub.config.problems import ConfigError, Path, Problem
from hub.config.source import Document

__all__ = ["validation_problems", "describe_value"]

_SECRET_TYPES = (pydantic.SecretStr, pydantic.SecretBytes)

#: Plainer words for pydantic error types whose own message is worded for programmers.
_EXPECTED = {
    "path_type": "a file path",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
}


def validation_problems(
    error: pydantic.ValidationError,
    doc: Document,
    *,
    model: type[pydantic.BaseModel],
    data: Any,
    prefix: Path = (),
    substituted: Mapping[Path, str] = {},
) -> list[Problem]:
    """Problems for ``error``, raised by validating ``data`` (found at ``prefix`` in ``doc``)
    with ``model``. ``substituted`` maps paths to the ``${...}`` text their value came from."""
    problems = []
    for detail in error.errors(include_url=False):
        loc = _data_path(data, detail["loc"])
        path = prefix + loc
        annotation, field = _field_at(model, loc)
        secret = _is_secret(annotation)
        template = substituted.get(path)
        cause = detail.get("ctx", {}).get("error")
        if isinstance(cause, ConfigError):
            problems += [_file_problem(doc, path, cause), *cause.problems]
            continue
        problem = _problem(doc, detail, path, loc, model, annotation, field, secret, template)
        problems.append(_scrub(problem, detail.get("input"), template, secret))
    return problems


def _file_problem(doc: Document, path: Path, error: ConfigError) -> Problem:
    """The problem at a value that named a file with problems of its own."""
    count = len(error.problems)
    files = ", ".join(dict.fromkeys(problem.file for problem in error.problems))
    return doc.problem(path, f"{files} does not load: see the {count} problem{'s' if count != 1 else ''} "
                             "reported for it", "a file without problems")


def _problem(doc: Document, detail: dict[str, Any], path: Path, loc: Path, model: type[pydantic.BaseModel],
             annotation: Any, field: Any, secret: bool, template: str | None) -> Problem:
    kind = detail["type"]
    value = detail.get("input")
    got = "" if secret else (f" (from {template})" if template else f" {describe_value(value)}")
    if kind == "missing":
        key = path[-1]
        description = getattr(field, "description", None)
        expected = f"{key}: {description}" if description else f"a {key!r} key"
        return doc.problem(path[:-1], f"required key {key!r} is missing", expected)
    if kind == "extra_forbidden":
        key = str(path[-1])
        allowed = _model_keys(_field_at(model, loc[:-1])[0])
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        expected = f"one of: {', '.join(allowed)}" if allowed else "no keys here"
        return doc.problem(path, f"unknown key {key!r}{hint}", expected, key=True)
    if kind == "literal_error":
        return doc.problem(path, f"invalid value{got}", f"one of {detail['ctx']['expected']}")
    if kind in ("value_error", "assertion_error"):
        cause = detail.get("ctx", {}).get("error")
        text = str(cause) if cause is not None else detail["msg"]
        message, _, expected = text.partition("; expected ")
        return doc.problem(path, message, expected)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        keys = _model_keys(annotation)
        expected = f"a mapping with keys: {', '.join(keys)}" if keys else "a mapping of key: value pairs"
        return doc.problem(path, f"is {describe_value(value)}, not a mapping", expected)
    if kind in ("list_type", "tuple_type", "set_type"):
        return doc.problem(path, f"is {describe_value(value)}, not a list",
                           "a list: one '- ' item per entry, or [] for none")
    if kind in ("too_short", "too_long"):
        context = detail["ctx"]
        actual = context["actual_length"]
        has = "is empty" if actual == 0 else f"has {actual} item{'s' if actual != 1 else ''}"
        limit = context.get("min_length", context.get("max_length"))
        bound = "at least" if kind == "too_short" else "at most"
        return doc.problem(path, has, f"{bound} {limit} item{'s' if limit != 1 else ''}")
    if kind in _EXPECTED:
        return doc.problem(path, f"invalid value{got}", _EXPECTED[kind])
    message = detail["msg"]
    for lead in ("Input should be ", "Input should "):
        if message.startswith(lead):
            return doc.problem(path, f"invalid value{got}", message[len(lead):])
    return doc.problem(path, f"invalid value{got}", message[:1].lower() + message[1:])


def _scrub(problem: Problem, value: Any, template: str | None, secret: bool) -> Problem:
    """Remove a sensitive value from messages a validator may have quoted it in."""
    if not isinstance(value, str) or not value or not (template or secret):
        return problem
    replacement = template or "***"
    fields = {}
    for name in ("message", "expected"):
        text = getattr(problem, name)
        fields[name] = text.replace(repr(value), repr(replacement)).replace(value, replacement)
    return Problem(problem.file, problem.line, problem.column, problem.path, **fields)


def describe_value(value: Any) -> str:
    """A short rendering of a YAML value for messages (never used for secrets)."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, int) and value.bit_length() > 64:  # repr() of a 4300-digit int raises
        return f"a {value.bit_length()}-bit number"
    return repr(value)


def _data_path(data: Any, loc: tuple[Any, ...]) -> Path:
    """The part of a pydantic ``loc`` that names places in ``data``; drops union tags and
    validator names, keeps a final missing key."""
    path: list[str | int] = []
    node = data
    for index, step in enumerate(loc):
        if isinstance(node, dict) and step in node:
            node = node[step]
            path.append(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            path.append(step)
        elif index == len(loc) - 1 and isinstance(step, (str, int)) and step != "[key]":
            path.append(step)
            node = None
        elif isinstance(step, str) and step.isidentifier() and all(
                isinstance(rest, str) and rest.isidentifier() for rest in loc[index + 1:]):
            # A key missing inside a section that is absent (validated from {}): hub.id when
            # there is no hub: at all. Keep the whole path so the message names the section.
            path.extend(loc[index:])
            break
    return tuple(path)


def _strip(annotation: Any) -> Any:
    """Unwrap Annotated[...] and Optional[...] down to the type that matters."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _field_at(model: type[pydantic.BaseModel], loc: Path) -> tuple[Any, Any]:
    """(annotation, FieldInfo or None) of the place ``loc`` inside ``model``; (None, None) if the
    schema has no such place (e.g. a free-form mapping)."""
    annotation: Any = model
    field = None
    for step in loc:
        annotation = _strip(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel) and isinstance(step, str):
            field = annotation.model_fields.get(step)
            if field is None:
                return None, None
            annotation = field.annotation
        elif origin in (list, tuple, set, frozenset) and isinstance(step, int):
            annotation, field = get_args(annotation)[0], None
        elif origin is dict:
            annotation, field = get_args(annotation)[1], None
        else:
            return None, None
    return annotation, field


def _model_keys(annotation: Any) -> list[str]:
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return list(annotation.model_fields)
    return []


def _is_secret(annotation: Any) -> bool:
    annotation = _strip(annotation)
    return isinstance(annotation, type) and issubclass(annotation, _SECRET_TYPES)
