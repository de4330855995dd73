"""The generated Python code must match proto/ (regenerate with `make proto`)."""
from __future__ import annotations

import filecmp
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_generated_code_is_up_to_date(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_proto.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    fresh = sorted(p.name for p in (tmp_path / "campushub" / "v1").iterdir() if p.is_file())
    current = sorted(p.name for p in (ROOT / "campushub" / "v1").iterdir() if p.is_file())
    assert fresh == current, "generated files differ from proto/: run `make proto`"
    stale = [name for name in fresh
             if not filecmp.cmp(tmp_path / "campushub" / "v1" / name, ROOT / "campushub" / "v1" / name, shallow=False)]
    assert not stale, f"generated code is out of date with proto/ for {stale}: run `make proto`"


def test_contract_follows_buf_style():
    """Versioned package, a Request/Response message per RPC, enums with a zero UNSPECIFIED value."""
    from campushub.v1 import event_hub_service_pb2 as svc
    from campushub.v1 import event_pb2
    service = svc.DESCRIPTOR.services_by_name["EventHubService"]
    assert service.full_name == "campushub.v1.EventHubService"
    for method in service.methods:
        assert method.input_type.name == f"{method.name}Request"
        assert method.output_type.name == f"{method.name}Response"
    for enum in event_pb2.DESCRIPTOR.enum_types_by_name.values():
        zero = enum.values_by_number[0].name
        assert zero.endswith("_UNSPECIFIED") and all(v.name.startswith(zero.removesuffix("UNSPECIFIED"))
                                                     for v in enum.values)
