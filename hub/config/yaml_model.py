"""Reading a YAML file that holds one pydantic model (a device profile, a simulator scenario) with
the hub config's reader and wording, so its mistakes read like ``campus-hub check``'s:
``file:line:column: path: what is wrong; expected what is right``.

>>> loaded = load_yaml_model(text, "config/profiles/x.yaml", Profile)
>>> if loaded.problems: raise ProfileError(loaded.problems)
>>> loaded.value, loaded.doc.mark(("signals", 2))     # the model; where things were written
"""
from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

import pydantic

from hub.config.errors import validation_problems
from hub.config.problems import Problem
from hub.config.source import Document, parse_yaml

__all__ = ["LoadedModel", "load_yaml_model"]

Model = TypeVar("Model", bound=pydantic.BaseModel)


class LoadedModel(NamedTuple, Generic[Model]):
    """``value`` is the validated model, or None when there are ``problems``; ``doc`` (None if the
    YAML was unusable) locates values for checks the caller makes across entries."""

    value: Model | None
    doc: Document | None
    problems: list[Problem]


def load_yaml_model(text: str, file: str, model: type[Model]) -> LoadedModel[Model]:
    """Parse ``text`` (named ``file`` in problems) and validate it as ``model``."""
    expected = f"a mapping with keys: {', '.join(model.model_fields)}"
    doc, problems = parse_yaml(text, file, expected=expected)
    if doc is None:
        return LoadedModel(None, None, problems)
    try:
        value = model.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        return LoadedModel(None, doc, problems + validation_problems(exc, doc, model=model, data=doc.data))
    # YAML problems (a duplicate key, an unsupported tag) leave a value the author did not mean.
    return LoadedModel(None if problems else value, doc, problems)
