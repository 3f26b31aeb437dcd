"""Whole-process time of ``python -m simulation run --replicates 1``: start-up (imports), one baseline replicate,
its files and its charts, as a user waits for them; optionally side by side with an older checkout.

Usage: python benchmarks/bench_startup.py [--runs 10] [--before PATH] [--warmup 1]

Each run is a fresh interpreter (this one: ``sys.executable``) started in the checkout's folder, where
``python -m simulation`` finds that checkout's package before the installed one (the script checks that it
does), writing into a temporary folder. Wall time is taken around the child, CPU time (user + system) from the
operating system's accounting of the finished child. With ``--before PATH`` (e.g. a ``git worktree add`` of an
older commit) both are run in turn, pair by pair, alternating which goes first, and each pair gives a ratio
(this checkout / PATH): pairing keeps the ratio meaningful when a shared machine's speed drifts.

The last line printed is ``median_s=<x>`` (this checkout's median wall time), or with ``--before``
``ratio=<x> cpu_ratio=<y>``: the medians of the paired ratios, for tools that read it.

Target (issue: start-up of ``ipsim run``): this checkout at most 0.60 of the code before it, in wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.60
COMMAND = ["-m", "simulation", "run", "--replicates", "1"]


def check_package(checkout: Path) -> None:
    """Fail unless ``python -m simulation`` started in ``checkout`` runs ``checkout``'s package."""
    found = subprocess.run([sys.executable, "-c", "import simulation; print(simulation.__file__)"], cwd=checkout,
                           capture_output=True, text=True, check=True, env=environment()).stdout.strip()
    if not Path(found).resolve().is_relative_to(checkout.resolve()):
        sys.exit(f"bench_startup: in {checkout}, 'import simulation' finds {found}, not that checkout's package")


def environment() -> dict[str, str]:
    """The child's environment: this one without PYTHONPATH, so that only the checkout's folder decides which
    package runs."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def once(checkout: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -m simulation run --replicates 1`` in ``checkout``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *COMMAND, "--out", str(out)], cwd=checkout, env=environment(), check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def spread(name: str, values: list[float]) -> str:
    return f"{name:<28} min {min(values):7.3f}   median {statistics.median(values):7.3f}   max {max(values):7.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each checkout (default 10)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each first (default 1)")
    parser.add_argument("--before", type=Path, help="an older checkout to time side by side")
    args = parser.parse_args()
    checkouts = {"this checkout": HERE}
    if args.before is not None:
        checkouts["before"] = args.before.resolve()
    for checkout in checkouts.values():
        check_package(checkout)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for k in range(args.warmup + args.runs):
            order = list(checkouts) if k % 2 == 0 else list(reversed(checkouts))
            for name in order:
                measured = once(checkouts[name], Path(tmp) / f"{name}-{k}")
                if k >= args.warmup:
                    times[name].append(measured)
    print(f"python -m simulation run --replicates 1, whole process, {args.runs} runs each (seconds):")
    for name, runs in times.items():
        print(spread(f"{name} wall", [w for w, _ in runs]))
        print(spread(f"{name} cpu", [c for _, c in runs]))
    if args.before is None:
        print(f"median_s={statistics.median(w for w, _ in times['this checkout']):.3f}")
        return
    wall = [a[0] / b[0] for a, b in zip(times["this checkout"], times["before"], strict=True)]
    cpu = [a[1] / b[1] for a, b in zip(times["this checkout"], times["before"], strict=True)]
    print(spread("paired ratio, wall", wall))
    print(spread("paired ratio, cpu", cpu))
    ratio = statistics.median(wall)
    print(f"target: at most {TARGET_RATIO:.2f} of before in wall time: {'met' if ratio <= TARGET_RATIO else 'not met'}")
    print(f"ratio={ratio:.3f} cpu_ratio={statistics.median(cpu):.3f}")


if __name__ == "__main__":
    main()
