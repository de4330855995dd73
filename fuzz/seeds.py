"""Write each target's ``seeds()`` to ``fuzz/corpus/<name>/`` (run after changing a target's seeds)."""
from __future__ import annotations

import importlib
import sys

from fuzz import TARGETS
from fuzz.smoke import CORPUS


def main() -> int:
    for name in sys.argv[1:] or TARGETS:
        target = importlib.import_module(f"fuzz.fuzz_{name}")
        folder = CORPUS / name
        folder.mkdir(parents=True, exist_ok=True)
        for seed_name, data in target.seeds().items():
            (folder / seed_name).write_bytes(data)
        print(f"{name}: {len(target.seeds())} seeds in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
