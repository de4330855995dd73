"""``${NAME}`` and ``${file:/path}`` references in config strings.

Secrets (subscriber token hashes, device passwords) stay out of the config file: a string value may
contain ``${NAME}`` (the environment variable NAME) or ``${file:/run/secrets/x}`` (that file's
content without its trailing newline; a relative path is relative to the config file). ``$${`` is a
literal ``${``. Keys are never interpolated.

Every substituted value is remembered by path so that problems about it quote the reference
(``${POLICE_TOKEN}``), never what it resolved to.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import Any

from hub.config.problems import Path, Problem
from hub.config.source import Document

__all__ = ["interpolate"]

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def interpolate(doc: Document, env: Mapping[str, str], base_dir: FsPath) -> tuple[dict[Path, str], list[Problem]]:
    """Replace references in ``doc.data`` in place; return {path: original text} and problems."""
    substituted: dict[Path, str] = {}
    problems: list[Problem] = []

    def resolve(text: str, path: Path) -> str:
        def one(match: re.Match[str]) -> str:
            token = match.group(0)
            if token == "$${":
                return "${"
            inner = match.group(1)
            if inner is None:
                problems.append(doc.problem(path, "'${' without a closing '}'",
                                            "${NAME} or ${file:/path}; write $${ for a literal ${"))
                return token
            if inner.startswith("file:"):
                return read_file(inner[len("file:"):], path, token)
            if not _NAME.match(inner):
                problems.append(doc.problem(path, f"{token!r} is not a valid reference",
                                            "${NAME} with NAME made of letters, digits and _, or ${file:/path}"))
                return token
            if inner not in env:
                problems.append(doc.problem(path, f"environment variable {inner} is not set (for {token})",
                                            f"{inner} set in the hub's environment, or a ${{file:/path}} reference"))
                return token
            return env[inner]

        return _REFERENCE.sub(one, text)

    def read_file(name: str, path: Path, token: str) -> str:
        if not name.strip():
            problems.append(doc.problem(path, f"{token!r} names no file", "${file:/path/to/file}"))
            return token
        target = FsPath(name)
        try:
            target = target.expanduser()
            target = target if target.is_absolute() else base_dir / target
            content = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError, ValueError, RuntimeError) as exc:
            # RuntimeError: "~nosuchuser"; ValueError: a NUL byte in the path
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            problems.append(doc.problem(path, f"cannot read {target} (for {token}): {reason}",
                                        "a readable UTF-8 file"))
            return token
        return content.rstrip("\r\n")

    def walk(value: Any, path: Path) -> Any:
        if isinstance(value, str):
            if "${" not in value:
                return value
            resolved = resolve(value, path)
            if resolved != value:
                substituted[path] = value
            return resolved
        if isinstance(value, dict):
            for key in value:
                value[key] = walk(value[key], path + (key,))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                value[index] = walk(item, path + (index,))
        return value

    doc.data = walk(doc.data, ())
    return substituted, problems
