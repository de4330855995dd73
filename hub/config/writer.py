"""Writing YAML that the hub's config reader reads back as written.

PyYAML writes YAML 1.1, where a SIA account like ``13E0`` is plain text; the hub reads YAML 1.2's
core schema (:mod:`hub.config.source`), where it is the float 130.0. Every string that the hub's
reader would take for something else is quoted.
"""
from __future__ import annotations

from typing import Any

import yaml

from hub.config.source import _CoreSchemaLoader

__all__ = ["dump_yaml"]

_STR = "tag:yaml.org,2002:str"


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if not value.isprintable():  # line breaks (also NEL, U+2028) and controls: only escapes keep them
        return dumper.represent_scalar(_STR, value, style='"')
    plain_tag = _CoreSchemaLoader.resolve(_CoreSchemaLoader, yaml.ScalarNode, value, (True, False))
    return dumper.represent_scalar(_STR, value, style="'" if plain_tag != _STR else None)


_Dumper.add_representer(str, _text)


def dump_yaml(data: dict[str, Any], *, width: int = 200) -> str:
    """``data`` as YAML for the hub, one top-level key after another (in the given order),
    short lists and maps inline."""
    return "\n".join(yaml.dump({key: value}, Dumper=_Dumper, sort_keys=False, default_flow_style=None,
                               width=width, allow_unicode=True) for key, value in data.items())
