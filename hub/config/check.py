"""``campus-hub check FILE``: report every problem in a config file, or a one-line summary.

The lead's CLI calls :func:`run_check`; ``python -m hub.config.check FILE`` runs it standalone.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from hub.config.loader import collect_problems
from hub.config.problems import Problem

__all__ = ["check", "main", "run_check"]


def check(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem in the config file at ``path`` (empty if it is valid)."""
    return collect_problems(path, env=env)[1]


def run_check(path: str, out: TextIO | None = None, *, env: Mapping[str, str] | None = None) -> int:
    """Print each problem and a summary line to ``out`` (default stdout); return the exit status
    (0 valid, 1 problems)."""
    out = sys.stdout if out is None else out
    config, problems = collect_problems(path, env=env)
    for problem in problems:
        print(problem, file=out)
    if problems:
        count = len(problems)
        print(f"{path}: {count} problem{'s' if count != 1 else ''}", file=out)
        return 1
    assert config is not None
    print(f"{path}: OK ({config.summary()})", file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="campus-hub check", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="hub config file (YAML)")
    args = parser.parse_args(argv)
    return run_check(args.file)


if __name__ == "__main__":
    sys.exit(main())
