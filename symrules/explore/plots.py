"""The four plots of the :class:`~symrules.explore.widgets.GradientExplorer`, as PNG bytes.

Each function draws one figure with matplotlib's Agg canvas and returns its PNG: the integrand
and its partials with the nodes marked (:func:`draw_integrand`; over a box, a heat map with
the nodes, :func:`draw_integrand_map` of :func:`integrand_map`), the finite-difference error
against the step (:func:`draw_fd_steps`), the error against the node count
(:func:`draw_node_errors`) and the time per method (:func:`draw_times` of
:func:`times_figure`). Sweeps run through a ``sweep(items, label)`` callable, so the widget
can show their progress. Figures get fixed margins: a layout engine would triple the drawing
time.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..engine.fields import leaves, path_name, replace_leaves
from ..engine.forward import jvp
from ..errors import SymrulesError
from ..quadrature import CubatureRule, GaussKronrod, Product, QuadratureRule
from .compare import field_gradient, gradient_errors
from .comparison import Comparison, time_unit
from .rule_specs import RULES, RuleTable, rule_from_spec

__all__ = [
    "BOX_SWEEPS",
    "FD_STEPS",
    "MAX_NODES",
    "SWEEPS",
    "Sweep",
    "TIME_MARGIN",
    "draw_fd_steps",
    "draw_integrand",
    "draw_integrand_map",
    "draw_node_errors",
    "draw_times",
    "integrand_map",
    "times_figure",
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
#: Counts swept over a box, by rule name of :data:`~symrules.explore.rule_specs.BOX_RULES`
#: (a product's count is per axis: 17 nodes per axis are 83521 points in 4 dimensions).
BOX_SWEEPS = {
    "product-gauss-legendre": (2, 3, 4, 6, 8, 11, 16),
    "product-clenshaw-curtis": (3, 5, 9, 17),
    "product-simpson": (2, 4, 8, 16),
    "product-trapezoid": (2, 4, 8, 16),
    "qmc-sobol": (2**6, 2**7, 2**8, 2**9, 2**10, 2**11, 2**12),
    "qmc-halton": (100, 300, 1000, 3000),
    "monte-carlo": (1000, 3000, 10_000, 30_000, 100_000),
}
MAX_NODES = 2048  # at most this many nodes are drawn on a heat map (a seeded subsample)
FD_STEPS = np.logspace(-13, -1, 25)
FLOOR = 1e-17  # errors are drawn no lower than this on log axes (an exact 0 has no log)
TIME_MARGIN = 1.2  # the time axis ends this far beyond the longest bar: room for its label


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
                rule.integrate_adaptive(f, a, b).rule if isinstance(rule, GaussKronrod) else rule
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
    domain: tuple[Any, ...],
    rule: QuadratureRule | CubatureRule,
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
    f: Any,
    domain: tuple[Any, ...],
    name: str,
    c: Comparison,
    sweep: Sweep,
    rules: RuleTable = RULES,
    sweeps: dict[str, tuple[int, ...]] = SWEEPS,
) -> bytes:
    """The gradient error against the node count of the rule named ``name`` in ``rules``,
    per method, at the counts ``sweeps[name]``; measured on an interval against the adaptive
    rule (else the finest count), over a box against the comparison's own rule."""
    fig, ax = _figure()
    ax.set_xlabel("count (" + ("" if name == "given" else rules[name][2]) + ")")
    ax.set_ylabel("max abs error")
    methods = list(c.gradients)
    if name == "given" or not methods:
        ax.text(0.5, 0.5, "pick a named rule and a method", ha="center", transform=ax.transAxes)
        return _png(fig)
    best = c.reference or methods[0]
    exact: dict[str, Any] | None = None
    if rules is RULES:  # an interval: the adaptive rule, where it converges
        try:
            exact = field_gradient(f, domain, GaussKronrod(rtol=1e-13, atol=0.0), best)
            ax.set_title(f"error against node count (vs adaptive {best})", fontsize=9)
        except SymrulesError:
            pass
    else:
        exact = c.gradients[best]
        ax.set_title(f"error against node count (vs the rule above, {best})", fontsize=9)
    if exact is None:
        finest = rule_from_spec(f"{name}:{sweeps[name][-1]}", rules)
        exact = field_gradient(f, domain, finest, best)
        ax.set_title(f"error against node count (vs finest {best})", fontsize=9)
    counts = sweeps[name]
    errors: dict[str, list[float]] = {m: [] for m in methods}
    for n in sweep(counts, "node counts"):
        rule = rule_from_spec(f"{name}:{n}", rules)
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


def times_figure(c: Comparison) -> Figure:
    """Time per value and gradient, one labelled bar per method, in the unit of the longest.

    The axis is linear and ends :data:`TIME_MARGIN` times beyond the longest bar, room for
    its label.

    Examples
    --------
    >>> import symrules as sr
    >>> c = sr.compare(sr.Integrand("a * x", a=1.0), (0.0, 1.0), repeat=1)
    >>> ax = times_figure(c).axes[0]
    >>> longest = max(bar.get_width() for bar in ax.patches)
    >>> bool(ax.get_xlim()[1] == TIME_MARGIN * longest), len(ax.patches)
    (True, 3)
    """
    fig, ax = _figure()
    ax.set_title("time per value and gradient", fontsize=9)
    timed = {m: t for m, t in c.times.items() if t is not None}
    unit, scale = time_unit(max(timed.values(), default=1.0))
    if timed:
        bars = ax.barh(list(timed), [t / scale for t in timed.values()], color="C0")
        ax.bar_label(bars, labels=[f"{t / scale:.3g} {unit}" for t in timed.values()], fontsize=7)
        ax.set_xlim(0.0, max(timed.values()) / scale * TIME_MARGIN)
    ax.set_xlabel(unit)
    return fig


def draw_times(c: Comparison) -> bytes:
    """:func:`times_figure` as PNG bytes."""
    return _png(times_figure(c))


def _centre(a: float, b: float) -> float:
    """Where a slice crosses the axis ``(a, b)``: its midpoint, 0 on the whole line, one
    unit inside a half-infinite one."""
    if np.isfinite(a) and np.isfinite(b):
        return (a + b) / 2
    if np.isfinite(a) or np.isfinite(b):
        return a + 1.0 if np.isfinite(a) else b - 1.0
    return 0.0


def _shown_nodes(rule: CubatureRule, bounds: tuple[float, ...]) -> tuple[np.ndarray, int]:
    """The nodes drawn, on the first two axes (at most :data:`MAX_NODES`, a seeded subsample),
    and the number of nodes in all: a product's grid on those axes; the first chunk of a
    quasi-Monte Carlo or Monte Carlo rule (the start of its first replicate)."""
    d = len(bounds) // 2
    total = sum(c.stop - c.start for c in rule.chunks(d, 2**20))
    if isinstance(rule, Product):
        plane = Product(*rule.axis_rules(d)[:2])
        k = min(d, 2)
        x = np.concatenate([plane.points(c, bounds[: 2 * k])[0] for c in plane.chunks(k, 2**20)])
    else:
        x = rule.points(rule.chunks(d, MAX_NODES)[0], bounds)[0][:, :2]
    if len(x) > MAX_NODES:
        x = x[np.sort(np.random.default_rng(0).choice(len(x), MAX_NODES, replace=False))]
    return np.asarray(x), total


def integrand_map(f: Any, box: tuple[tuple[float, float], ...], rule: CubatureRule) -> Figure:
    """The integrand over the box's first two axes as a heat map, with the rule's nodes.

    An infinite bound is drawn 10 units beyond the finite one (from -10 to 10 on the whole
    line). In more than 2 dimensions the map is the slice through the box's centre (an
    axis' midpoint; 0 on the whole line; one unit inside a half-infinite axis) and the nodes
    are projected onto it; in 1 dimension it is a curve.

    Examples
    --------
    >>> from symrules import QMC
    >>> fig = integrand_map(lambda x: np.exp(-(x**2).sum(axis=1)), ((0, 1),) * 3, QMC(2**9))
    >>> len(fig.axes[0].images), len(fig.axes[0].collections[0].get_offsets())
    (1, 512)
    """
    d = len(box)
    var = getattr(f, "var", None)
    names = list(var) if isinstance(var, tuple) else [f"x{k}" for k in range(d)]
    windows = [_window(pair) for pair in box]
    centre = [_centre(a, b) for a, b in box]
    grids = [np.linspace(lo, hi, 122)[1:-1] for lo, hi in windows[:2]]
    nodes, total = _shown_nodes(rule, tuple(float(p) for pair in box for p in pair))
    fig, ax = _figure()
    with np.errstate(all="ignore"):
        if d == 1:
            ax.plot(grids[0], f(grids[0][:, None]), color="k", lw=1.2)
            ax.plot(nodes[:, 0], f(nodes[:, :1]), "o", ms=3, color="C3")
            ax.set_ylabel("f")
        else:
            mesh = np.meshgrid(*grids)
            x = np.tile(np.asarray(centre, dtype=float), (mesh[0].size, 1))
            x[:, 0], x[:, 1] = mesh[0].ravel(), mesh[1].ravel()
            image = ax.imshow(
                np.asarray(f(x), dtype=float).reshape(mesh[0].shape),
                origin="lower",
                extent=(*windows[0], *windows[1]),
                aspect="auto",
                cmap="viridis",
            )
            fig.colorbar(image, ax=ax)
            ax.scatter(nodes[:, 0], nodes[:, 1], s=3, color="C3", linewidths=0)
            ax.set_xlim(windows[0])
            ax.set_ylim(windows[1])
            ax.set_ylabel(names[1])
    ax.set_xlabel(names[0])
    shown = f", {len(nodes)} drawn" if len(nodes) < total else ""
    title = f"integrand, {total} nodes{shown}"
    if d > 2:
        at = ", ".join(f"{n} = {c:g}" for n, c in zip(names[2:], centre[2:], strict=True))
        title += f"\nslice at {at}; nodes projected"
        fig.subplots_adjust(top=0.85)  # room for the second line
    ax.set_title(title, fontsize=9)
    return fig


def draw_integrand_map(f: Any, box: tuple[tuple[float, float], ...], rule: CubatureRule) -> bytes:
    """:func:`integrand_map` as PNG bytes."""
    return _png(integrand_map(f, box, rule))
