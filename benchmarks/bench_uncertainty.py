"""The overhead of ``ipsim levers --uncertainty N``: its whole command against plain ``ipsim levers`` with as many
runs, both on 2 workers, in one invocation.

Usage: python benchmarks/bench_uncertainty.py [--draws 40] [--replicates 10]

Under uncertainty the command runs N draws of R replicates of the 14 scenarios through the sweep runner (writing
only each run's metrics), then the plain comparison's R replicates, then its files: 14 x R x (N + 1) runs. The
reference is ``ipsim levers --replicates R x (N + 1)``, the same number of runs through the plain path (which writes
every run's records). Both are timed as whole processes (start-up, runs, files, charts), the plain one first and
then the uncertain one, then once more each in the other order, and the ratio is the total of the two uncertain
timings over the total of the two plain ones. Last line: ``overhead=<ratio> seconds=<the uncertain command's mean time> runs=<n>``.
Target: an overhead near 1 (the draws cost what the same runs cost anyway) and a default study of a few minutes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_IN_LEVERS = 14


def timed(argv: list[str], out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "simulation", *argv, "--workers", "2", "--out", str(out)], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=40, help="draws (default 40, the command's default)")
    parser.add_argument("--replicates", type=int, default=10, help="replicates per draw (default 10, the default)")
    args = parser.parse_args()
    n, r = args.draws, args.replicates
    runs = SCENARIOS_IN_LEVERS * r * (n + 1)
    uncertain = ["levers", "--uncertainty", str(n), "--replicates", str(r)]
    plain = ["levers", "--replicates", str(r * (n + 1))]
    print(f"ipsim levers --uncertainty {n} --replicates {r} against ipsim levers --replicates {r * (n + 1)}: "
          f"{runs} runs each, 2 workers")
    times: dict[str, list[float]] = {"plain": [], "uncertain": []}
    with tempfile.TemporaryDirectory() as tmp:
        for order in (("plain", "uncertain"), ("uncertain", "plain")):
            for name in order:
                seconds = timed(plain if name == "plain" else uncertain, Path(tmp) / f"{name}-{len(times[name])}")
                times[name].append(seconds)
                print(f"  {name:9s} {seconds:7.1f} s")
    overhead = sum(times["uncertain"]) / sum(times["plain"])
    mean = sum(times["uncertain"]) / len(times["uncertain"])
    print(f"overhead={overhead:.2f} seconds={mean:.0f} runs={runs}")


if __name__ == "__main__":
    main()
