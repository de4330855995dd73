"""Fuzz every target for a given time and print what each run did, and each target's totals.

``python -m fuzz.run_all --seconds 300 [--only sia,onvif=600] [--jobs 2] [--work DIR]`` (needs the
optional ``fuzz`` extra: atheris). ``--only`` picks targets, each with its own time if given as
``name=seconds``; ``--jobs`` runs that many targets at a time. Each target starts from its
committed seeds (``fuzz/corpus/<name>/``, read only) plus what earlier runs in ``--work`` found;
new inputs and crash files go to ``<work>/<name>/``, and every run is added to
``<work>/<name>/runs.jsonl`` so that the totals across runs (a campaign) are printed too. A crash
does not end a target's turn: it is counted and the target restarts for the rest of its time. Not
part of CI (CI runs ``fuzz.smoke``). On a shared machine run it under ``nice -n 19``.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
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
HEADER = (f"{'target':<20}{'seconds':>8}{'executions':>12}{'exec/s':>8}{'cov':>6}{'ft':>7}{'corpus':>7}"
          f"{'crashes':>8}{'runs':>6}{'all executions':>16}{'all crashes':>12}")


@dataclasses.dataclass
class Result:
    """One target's turn: wall time (with start-up), what libFuzzer reported, crash files found."""

    name: str
    seconds: float = 0.0
    executions: int = 0
    fuzzing_seconds: float = 0.0  # executions / libFuzzer's own rate: without start-up
    coverage: int = 0
    features: int = 0
    corpus: int = 0
    crashes: int = 0
    restarts: int = 0
    started: bool = False  # False: the target never got to fuzzing (its output was shown)

    @property
    def rate(self) -> float:
        """Executions per second while fuzzing (libFuzzer's figure, not counting start-up)."""
        if self.fuzzing_seconds:
            return self.executions / self.fuzzing_seconds
        return self.executions / self.seconds if self.seconds else 0.0

    def add_run(self, output: bytes) -> bool:
        """Add one libFuzzer process's output; False if it never got to fuzzing."""
        stats = {key.decode(): int(value) for key, value in _STAT.findall(output)}
        progress = _PROGRESS.findall(output)
        if not progress and not stats:
            return False
        if progress:
            _, cov, ft, corp = progress[-1]
            self.coverage, self.features, self.corpus = int(cov), int(ft), int(corp)
        executions = stats.get("number_of_executed_units", int(progress[-1][0]) if progress else 0)
        self.executions += executions
        if stats.get("average_exec_per_sec"):
            self.fuzzing_seconds += executions / stats["average_exec_per_sec"]
        return True


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
        if not result.add_run(output):  # it never started: show why and stop
            sys.stdout.write(output.decode(errors="replace")[-3000:])
            break
        result.started = True
        if run.returncode == 0:
            break
        result.restarts += 1
        tail = output.decode(errors="replace").split("=== Uncaught Python exception: ===")[-1]
        print(f"  {name}: crash\n" + "\n".join("    " + line for line in tail.strip().splitlines()[-12:]), flush=True)
    result.crashes = len(set(artifacts.iterdir()) - known_crashes)
    return result


def record(result: Result, work: Path) -> list[dict]:
    """Add ``result`` to its target's run log in ``work``; return every run logged so far."""
    log = work / result.name / "runs.jsonl"
    entry = dataclasses.asdict(result) | {"rate": round(result.rate, 1), "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with log.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def row(result: Result, runs: list[dict]) -> str:
    return (f"{result.name:<20}{result.seconds:>8.0f}{result.executions:>12,}{result.rate:>8,.0f}{result.coverage:>6}"
            f"{result.features:>7}{result.corpus:>7}{result.crashes:>8}{len(runs):>6}"
            f"{sum(r['executions'] for r in runs):>16,}{sum(r['crashes'] for r in runs):>12}")


def parse_plan(only: str, seconds: float) -> dict[str, float]:
    """``"sia,onvif=600"`` -> {"sia": seconds, "onvif": 600.0}; every target when empty."""
    plan: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in only.split(","))):
        name, _, own = item.partition("=")
        plan[name] = float(own) if own else seconds
    return plan or dict.fromkeys(TARGETS, seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300, help="time per target (default 300)")
    parser.add_argument("--only", default="", help="comma-separated targets, each NAME or NAME=SECONDS (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="targets fuzzed at a time (default 1)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "campus-hub-fuzz",
                        help="where grown corpora, crash files and run logs go")
    args = parser.parse_args()
    try:
        import atheris  # noqa: F401  (each target imports it in its own process)
    except ImportError:
        parser.error("atheris is not installed: pip install -e '.[fuzz]'")
    try:
        plan = parse_plan(args.only, args.seconds)
    except ValueError as exc:
        parser.error(f"--only: {exc}")
    unknown = set(plan) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; known: {', '.join(TARGETS)}")
    started = time.monotonic()
    print(HEADER, flush=True)

    def turn(name: str) -> Result:
        result = fuzz_target(name, plan[name], args.work)
        if result.started:
            print(row(result, record(result, args.work)), flush=True)
        else:
            print(f"{name:<20} did not start (its output is above); not counted", flush=True)
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(turn, plan))
    executions, crashes = sum(r.executions for r in results), sum(r.crashes for r in results)
    print(f"{'total':<20}{time.monotonic() - started:>8.0f}{executions:>12,}{'':>34}{crashes:>8}")
    print(f"crash files: {args.work}/<target>/crashes/; run logs: {args.work}/<target>/runs.jsonl")
    not_started = [r.name for r in results if not r.started]
    if not_started:
        print(f"did not start: {', '.join(not_started)}")
    return 1 if crashes or not_started else 0


if __name__ == "__main__":
    sys.exit(main())
