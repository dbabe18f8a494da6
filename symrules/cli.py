"""The ``symrules`` command line: ``symrules demo`` runs the seed problem through the engine."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from .reverse import value_and_grad

__all__ = ["main", "seed_problem"]


def seed_problem(n: int = 100) -> tuple[float, np.ndarray]:
    """The seed: a right Riemann sum of ``p[0]*x + p[1]`` on (0, 1], differentiated in ``p``.

    Returns the value and the gradient at ``p = [2, 1]``; exactly ``[(n+1)/(2n), 1]``.

    Examples
    --------
    >>> value, gradient = seed_problem()
    >>> bool(np.allclose(gradient, [0.505, 1.0]))
    True
    """
    dx = np.diff(np.linspace(0.0, 1.0, n + 1))
    x = np.cumsum(dx)

    def main(p: np.ndarray) -> float:
        def f(x: np.ndarray) -> np.ndarray:
            return p[0] * x + p[1]

        return np.sum(f(x) * dx)

    value, gradient = value_and_grad(main)(np.array([2.0, 1.0]))
    return float(value), gradient


def _demo(args: argparse.Namespace) -> int:
    value, gradient = seed_problem(args.n)
    exact = [(args.n + 1) / (2 * args.n), 1.0]
    print("seed: integrate(f) = sum(f(x) * dx), right Riemann sum on (0, 1],")
    print(f"      f(x) = p[0]*x + p[1] captured by a closure, p = [2, 1], {args.n} steps")
    print(f"  value     {value:.12g}")
    print(f"  gradient  [{gradient[0]:.12g}, {gradient[1]:.12g}]   exact {exact}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``symrules`` command."""
    parser = argparse.ArgumentParser(
        prog="symrules",
        description="Gradients of quadrature functionals with respect to what lives inside "
        "the integrand.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the seed problem and print value and gradient")
    demo.add_argument("-n", type=int, default=100, help="number of Riemann steps (default 100)")
    demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
