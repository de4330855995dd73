"""The camera simulator's library example in docs/adapters/onvif.md runs as written."""
from __future__ import annotations

import pathlib
import re

_DOC = pathlib.Path(__file__).parents[2] / "docs" / "adapters" / "onvif.md"


def _library_example() -> str:
    section = _DOC.read_text(encoding="utf-8").split("## Library API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


async def test_the_library_api_example_runs():
    code = _library_example()
    source = "async def example():\n" + "".join(f"    {line}\n" for line in code.splitlines())
    namespace: dict = {}
    exec(compile(source, str(_DOC), "exec"), namespace)  # the doc's own lines, awaited in a coroutine
    await namespace["example"]()
    assert "CameraSimulator.start" in code and "ptz.moves" in code
