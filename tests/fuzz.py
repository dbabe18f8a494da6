"""Run the differential test over many random integrands and count the outcomes.

Run: ``python tests/fuzz.py --examples 10000 --backend numpy`` (from the repository root;
with the default numba backend each expression also compiles its kernel, about 0.4 s). The
expressions are those of ``tests/differential.py`` (derandomized with ``--seed``); each is
checked by every method against SymPy, and the script prints how many agreed, how many were
skipped (the integrand or a partial not finite on the drawn domain, so there is nothing to
compare), and every disagreement, NaN, refusal and raw exception with its expression. It
exits non-zero if any check failed.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from differential import Case, cases, check


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", choices=("numba", "numpy"), default=None,
                        help="the Integrand's (default: numba; each new expression compiles "
                        "a kernel, about 0.4 s)")  # fmt: skip
    args = parser.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    checks: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    start = time.perf_counter()

    @hypothesis_seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(cases())
    def run(case: Case) -> None:
        with np.errstate(all="ignore"):
            outcome = check(case, args.backend)
        counts[outcome.status] += 1
        checks.update(outcome.checks)
        if outcome.status not in ("ok", "skipped"):
            failures.append(f"{outcome.status}: {case}: {outcome.detail}")
        done = sum(counts.values())
        if done % 500 == 0:
            print(f"  {done} expressions, {time.perf_counter() - start:.0f} s", flush=True)

    run()
    total = sum(counts.values())
    print(f"{total} expressions in {time.perf_counter() - start:.0f} s")
    for status, n in counts.most_common():
        print(f"  {status:20s} {n}")
    print("checks run: " + ", ".join(f"{name} {n}" for name, n in checks.most_common()))
    for line in failures:
        print(line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
