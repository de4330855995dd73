"""Fuzz every target in turn, one process at a time, and print what each run did.

``python -m fuzz.run_all --seconds 300 [--only sia,snmp_trap] [--work DIR]`` (needs the optional
``fuzz`` extra: atheris). Each target starts from its committed seeds (``fuzz/corpus/<name>/``,
read only) plus what earlier runs in ``--work`` found; new inputs and crash files go to
``<work>/<name>/``. A crash does not end a target's turn: it is counted and the target restarts
for the rest of its time. Not part of CI (CI runs ``fuzz.smoke``).
"""
from __future__ import annotations

import argparse
import dataclasses
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fuzz import TARGETS
from fuzz.smoke import CORPUS

ROOT = Path(__file__).resolve().parents[1]
_PROGRESS = re.compile(rb"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/", re.MULTILINE)
_STAT = re.compile(rb"^stat::(\w+):\s+(\d+)", re.MULTILINE)


@dataclasses.dataclass
class Result:
    name: str
    seconds: float = 0.0
    executions: int = 0
    coverage: int = 0
    features: int = 0
    corpus: int = 0
    crashes: int = 0
    restarts: int = 0

    @property
    def rate(self) -> float:
        return self.executions / self.seconds if self.seconds else 0.0


def fuzz_target(name: str, seconds: float, work: Path) -> Result:
    result = Result(name)
    corpus, artifacts = work / name / "corpus", work / name / "crashes"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    known_crashes = set(artifacts.iterdir())
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) >= 1:
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", f"fuzz.fuzz_{name}", str(corpus), str(CORPUS / name),
             f"-max_total_time={int(remaining)}", "-print_final_stats=1", f"-artifact_prefix={artifacts}/",
             "-timeout=10", "-rss_limit_mb=2048"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        result.seconds += time.monotonic() - started
        output = run.stdout
        stats = {key.decode(): int(value) for key, value in _STAT.findall(output)}
        progress = _PROGRESS.findall(output)
        if progress:
            _, cov, ft, corp = progress[-1]
            result.coverage, result.features, result.corpus = int(cov), int(ft), int(corp)
        result.executions += stats.get("number_of_executed_units", int(progress[-1][0]) if progress else 0)
        if run.returncode == 0:
            break
        if not progress and not stats:  # it never started: show why and stop
            sys.stdout.write(output.decode(errors="replace")[-3000:])
            break
        result.restarts += 1
        tail = output.decode(errors="replace").split("=== Uncaught Python exception: ===")[-1]
        print(f"  {name}: crash\n" + "\n".join("    " + line for line in tail.strip().splitlines()[-12:]), flush=True)
    result.crashes = len(set(artifacts.iterdir()) - known_crashes)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300, help="time per target (default 300)")
    parser.add_argument("--only", default="", help="comma-separated target names (default: all)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "campus-hub-fuzz",
                        help="where grown corpora and crash files go")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(TARGETS)
    unknown = set(names) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; known: {', '.join(TARGETS)}")
    header = f"{'target':<16}{'seconds':>9}{'executions':>13}{'exec/s':>9}{'cov':>7}{'ft':>8}{'corpus':>8}{'crashes':>9}"
    results = []
    for name in names:
        print(f"fuzzing {name} for {args.seconds:g} s ...", flush=True)
        results.append(fuzz_target(name, args.seconds, args.work))
    print(header)
    for r in results:
        print(f"{r.name:<16}{r.seconds:>9.0f}{r.executions:>13,}{r.rate:>9,.0f}{r.coverage:>7}{r.features:>8}"
              f"{r.corpus:>8}{r.crashes:>9}")
    total = Result("total", sum(r.seconds for r in results), sum(r.executions for r in results),
                   crashes=sum(r.crashes for r in results))
    print(f"{total.name:<16}{total.seconds:>9.0f}{total.executions:>13,}{total.rate:>9,.0f}{'':>7}{'':>8}{'':>8}"
          f"{total.crashes:>9}")
    print(f"crash files: {args.work}/<target>/crashes/")
    return 1 if total.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
