"""Run a benchmark script against two checkouts of symrules in one run, interleaved.

Before-and-after figures only mean something when measured side by side on the same machine
at the same time (this VM's timings drift by tens of percent between runs). This runs
``SCRIPT`` from the other checkout's ``benchmarks/`` with that checkout's ``symrules`` first
on ``PYTHONPATH``, then from this one, alternating for ``--rounds`` rounds, and prints each
output under its label; compare a row across rounds, not one number.

Run: ``python benchmarks/ab.py ../before bench_engine.py --quick --rounds 2``, where
``../before`` is, e.g., ``git worktree add ../before <commit>``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def run(checkout: Path, script: str, extra: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    path = checkout / "benchmarks" / script
    done = subprocess.run(
        [sys.executable, str(path), *extra], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout (the 'before')")
    parser.add_argument("script", help="a script in benchmarks/, e.g. bench_engine.py")
    parser.add_argument("--rounds", type=int, default=2)
    args, extra = parser.parse_known_args()
    for k in range(args.rounds):
        for label, checkout in (("before", args.other.resolve()), ("after", HERE)):
            print(f"--- round {k + 1}, {label} ({checkout})")
            print(run(checkout, args.script, extra), end="", flush=True)


if __name__ == "__main__":
    main()
