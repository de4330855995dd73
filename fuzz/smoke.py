"""Run a target over its committed seeds and random mutations of them, without atheris.

``python -m fuzz.smoke NAME [--mutations N] [--seed S]``: exits non-zero (with the traceback and
the input in hex) on the first input the target fails on. CI runs this for every target.
"""
from __future__ import annotations

import argparse
import importlib
import random
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"


def load_seeds(name: str) -> list[bytes]:
    return [path.read_bytes() for path in sorted((CORPUS / name).iterdir()) if path.is_file()]


def mutate(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    """One to four of libFuzzer's basic mutations: flip, set, insert, delete, repeat, splice."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6)
        at = rng.randint(0, len(out))
        if kind == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1 and out:
            out[min(at, len(out) - 1)] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        elif kind == 2:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == 3 and out:
            del out[at:at + rng.randint(1, 8)]
        elif kind == 4 and out:
            out[at:at] = out[at:at + rng.randint(1, 16)] * rng.randint(1, 4)
        else:
            other = rng.choice(others)
            out[at:] = other[rng.randint(0, len(other)):]
    return bytes(out)


def run(name: str, mutations: int, seed: int) -> int:
    target = importlib.import_module(f"fuzz.fuzz_{name}")
    seeds = load_seeds(name)
    missing = sorted(set(target.seeds().values()) - set(seeds))
    if missing:
        print(f"{name}: {len(missing)} of the target's seeds are not in {CORPUS / name}: "
              f"run python -m fuzz.seeds {name}", file=sys.stderr)
        return 2
    rng = random.Random(seed)
    inputs = seeds + [mutate(rng.choice(seeds), rng, seeds) for _ in range(mutations)]
    for data in inputs:
        try:
            target.TestOneInput(data)
        except Exception:
            print(f"{name}: input {data.hex()}", file=sys.stderr)
            raise
    print(f"{name}: {len(seeds)} seeds and {mutations} mutations ran clean")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--mutations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    return run(args.name, args.mutations, args.seed)


if __name__ == "__main__":
    sys.exit(main())
