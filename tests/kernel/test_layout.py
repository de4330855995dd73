"""The layout issue 12 asks for: the kernel imports no simulator and no adapter, and every package
of hub/ names its public API."""
from __future__ import annotations

import importlib
import pathlib
import subprocess
import sys

HUB = pathlib.Path(__file__).resolve().parents[2] / "hub"
PACKAGES = sorted(".".join(path.parent.relative_to(HUB.parent).parts) for path in HUB.rglob("__init__.py"))


def test_the_kernel_and_its_services_import_no_simulator_and_no_adapter():
    code = ("import sys, hub.kernel, hub.journal, hub.api.grpc, hub.api.http, hub.config, hub.spi, hub.alarms\n"
            "print(sorted({name.split('.')[0] for name in sys.modules} & {'simulators', 'adapters'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_hub_package_names_its_public_api():
    assert len(PACKAGES) >= 10
    missing = [name for name in PACKAGES if not hasattr(importlib.import_module(name), "__all__")]
    assert missing == []
