"""The four plots of the :class:`~symrules.explore.widgets.GradientExplorer`, as PNG bytes.

Each function draws one figure with matplotlib's Agg canvas and returns its PNG: the integrand
and its partials with the nodes marked (:func:`draw_integrand`), the finite-difference error
against the step (:func:`draw_fd_steps`), the error against the node count
(:func:`draw_node_errors`) and the time per method (:func:`draw_times`). Sweeps run through a
``sweep(items, label)`` callable, so the widget can show their progress. Figures get fixed
margins: a layout engine would triple the drawing time.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from ..engine.fields import leaves, path_name, replace_leaves
from ..engine.forward import jvp
from ..errors import SymrulesError
from ..quadrature import GaussKronrod, QuadratureRule
from .compare import field_gradient, gradient_errors
from .comparison import Comparison
from .rule_specs import RULES, rule_from_spec

__all__ = [
    "FD_STEPS",
    "SWEEPS",
    "Sweep",
    "draw_fd_steps",
    "draw_integrand",
    "draw_node_errors",
    "draw_times",
]

#: ``sweep(items, label)`` yields ``items`` one by one (and may show progress meanwhile).
Sweep = Callable[[Sequence[Any], str], Iterable[Any]]

#: Counts swept for the error-against-node-count plot, by rule name.
SWEEPS = {
    "gauss-legendre": (2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64),
    "clenshaw-curtis": (3, 5, 9, 17, 33, 65, 129),
    "simpson": (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
    "trapezoid": (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
    "tanh-sinh": (0, 1, 2, 3, 4, 5, 6, 7),
    "gauss-kronrod": (7, 11, 15, 21, 31, 41, 51, 61),
}
FD_STEPS = np.logspace(-13, -1, 25)
FLOOR = 1e-17  # errors are drawn no lower than this on log axes (an exact 0 has no log)


def _figure(rows: int = 1) -> tuple[Figure, Any]:
    """A small figure with fixed margins (a layout engine would triple the drawing time)."""
    fig = Figure(figsize=(4.8, 3.4), dpi=90)
    fig.subplots_adjust(left=0.16, right=0.97, bottom=0.14, top=0.91, hspace=0.08)
    return fig, fig.subplots(rows, 1, sharex=True)


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _window(points: Sequence[float]) -> tuple[float, float]:
    """A finite plotting window: an infinite end is drawn 10 units beyond the finite one."""
    lo, hi = float(min(points[0], points[-1])), float(max(points[0], points[-1]))
    finite = [p for p in points if np.isfinite(p)]
    anchor = finite[0] if finite else 0.0
    lo = lo if np.isfinite(lo) else min(finite, default=anchor) - 10.0
    hi = hi if np.isfinite(hi) else max(finite, default=anchor) + 10.0
    return lo, hi


def draw_integrand(f: Any, domain: tuple[float, ...], rule: QuadratureRule) -> bytes:
    """The integrand with the rule's nodes, and its partial in each scalar field below."""
    lo, hi = _window(domain)
    x = np.linspace(lo, hi, 402)[1:-1]
    fig, (top, bottom) = _figure(2)
    with np.errstate(all="ignore"):
        top.plot(x, f(x), color="k", lw=1.2, label="f")
        nodes = []
        for a, b in pairwise(domain):
            fixed = (
                rule.integrate_adaptive(f, a, b).rule
                if isinstance(rule, GaussKronrod)
                else rule
            )
            nodes.append(np.asarray(fixed.nodes_weights(a, b)[0]))
        xn = np.concatenate(nodes)
        xn = xn[(xn >= lo) & (xn <= hi)]
        top.plot(xn, f(xn), "o", ms=3, color="C3", label=f"{len(xn)} nodes")
        for path, leaf in leaves(f):
            for idx in np.ndindex(np.shape(leaf)):
                one_hot = np.zeros(np.shape(leaf))
                one_hot[idx] = 1.0
                dot = one_hot if np.ndim(leaf) else 1.0
                partial = jvp(
                    lambda v, path=path: replace_leaves(f, {path: v})(x), (leaf,), (dot,)
                )[1]
                name = path_name((*path, *idx), root="").lstrip(".")
                bottom.plot(x, np.broadcast_to(partial, x.shape), lw=1, label=f"df/d{name}")
    top.set_title("integrand and nodes", fontsize=9)
    top.legend(fontsize=7)
    bottom.legend(fontsize=7)
    bottom.set_xlabel("x")
    return _png(fig)

def draw_fd_steps(
    f: Any,
    domain: tuple[float, ...],
    rule: QuadratureRule,
    c: Comparison,
    sweep: Sweep,
    chosen_step: float | None,
) -> bytes:
    """The finite-difference error against the step, with the step search's error and its
    own estimate, or the chosen step."""
    reference = c.gradients.get(c.reference) if c.reference else None
    fig, ax = _figure()
    ax.set_title(f"fd error against step (reference: {c.reference})", fontsize=9)
    ax.set_xlabel("step h")
    ax.set_ylabel("max abs error")
    if reference is None:
        ax.text(0.5, 0.5, "no symbolic or ad reference", ha="center", transform=ax.transAxes)
        return _png(fig)

    errors = []
    for h in sweep(FD_STEPS.tolist(), "fd steps"):
        g = field_gradient(f, domain, rule, "fd", fd_step=float(h))
        errors.append(max(gradient_errors(g, reference)[0], FLOOR))
    ax.loglog(FD_STEPS, errors, "o-", ms=3, label="central, order 4")
    if "fd" in c.gradients and chosen_step is None:
        ax.axhline(max(c.errors("fd")[0], FLOOR), ls="--", color="C2", label="step search")
    if c.fd_error is not None:
        estimate = max(float(np.max(e)) for e in c.fd_error.values())
        ax.axhline(max(estimate, FLOOR), ls=":", color="C1", label="fd's own error estimate")
    if chosen_step is not None:
        ax.axvline(chosen_step, ls=":", color="C3", label="chosen step")
    ax.legend(fontsize=7)
    return _png(fig)

def draw_node_errors(
    f: Any, domain: tuple[float, ...], name: str, c: Comparison, sweep: Sweep
) -> bytes:
    """The gradient error against the node count of the rule named ``name``, per method."""
    fig, ax = _figure()
    ax.set_xlabel("count (" + ("" if name == "given" else RULES[name][2]) + ")")
    ax.set_ylabel("max abs error")
    methods = list(c.gradients)
    if name == "given" or not methods:
        ax.text(0.5, 0.5, "pick a named rule and a method", ha="center", transform=ax.transAxes)
        return _png(fig)
    best = c.reference or methods[0]
    try:
        exact = field_gradient(f, domain, GaussKronrod(rtol=1e-13, atol=0.0), best)
        ax.set_title(f"error against node count (vs adaptive {best})", fontsize=9)
    except SymrulesError:
        exact = field_gradient(
            f, domain, rule_from_spec(f"{name}:{SWEEPS[name][-1]}"), best
        )
        ax.set_title(f"error against node count (vs finest {best})", fontsize=9)
    counts = SWEEPS[name]
    errors: dict[str, list[float]] = {m: [] for m in methods}
    for n in sweep(counts, "node counts"):
        rule = rule_from_spec(f"{name}:{n}")
        for m in methods:
            try:
                g = field_gradient(f, domain, rule, m)
                errors[m].append(max(gradient_errors(g, exact)[0], FLOOR))
            except SymrulesError:
                errors[m].append(np.nan)
    for k, m in enumerate(methods):
        ax.semilogy(counts, errors[m], "o-" if k == 0 else "x--", ms=4, label=m)
    ax.legend(fontsize=7)
    return _png(fig)

def draw_times(c: Comparison) -> bytes:
    """Time per value and gradient, one bar per method, on a log axis."""
    fig, ax = _figure()
    ax.set_title("time per value and gradient", fontsize=9)
    timed = {m: t for m, t in c.times.items() if t is not None}
    if timed:
        bars = ax.barh(list(timed), [t * 1e6 for t in timed.values()], color="C0")
        ax.bar_label(bars, labels=[f"{t * 1e6:.3g} us" for t in timed.values()], fontsize=7)
        ax.set_xscale("log")
        ax.set_xlim(right=max(timed.values()) * 1e6 * 5)
        ax.xaxis.set_minor_formatter(NullFormatter())  # no crowded minor labels
    ax.set_xlabel("microseconds")
    return _png(fig)
