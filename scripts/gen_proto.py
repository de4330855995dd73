"""Generate the Python code for proto/campushub/v1/*.proto into ./campushub (not committed).

Usage: python scripts/gen_proto.py [--out DIR]
"""
from __future__ import annotations

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"


def proto_files() -> list[pathlib.Path]:
    return sorted((PROTO_ROOT / "campushub" / "v1").glob("*.proto"))


def generate(out: pathlib.Path) -> None:
    import grpc_tools
    from grpc_tools import protoc

    out.mkdir(parents=True, exist_ok=True)
    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *[str(p.relative_to(PROTO_ROOT)) for p in proto_files()],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed; see the messages above")
    for package in (out / "campushub", out / "campushub" / "v1"):
        (package / "__init__.py").write_text('"""Generated from proto/ by scripts/gen_proto.py; do not edit."""\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT)
    generate(parser.parse_args().out)
    print(f"generated Python code for {len(proto_files())} .proto files", file=sys.stderr)


if __name__ == "__main__":
    main()
