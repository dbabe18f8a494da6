"""Side-by-side gradients of a quadrature functional: :func:`compare` and :class:`Comparison`.

This module owns the comparison of the three ways of computing ``dI/dp`` for
``I(f) = integrate(f, domain, rule)`` with respect to the fields ``p`` of ``f`` ("symbolic",
"ad", "fd", see :func:`~symrules.quadrature.integrate`): the gradients by field, their errors
against each other and against a reference, and the time each method takes. A
:class:`Comparison` renders as an HTML table in Jupyter, as an aligned text table in a
terminal, and converts to plain data. It also owns the short rule names shared by the command
line and the widget (``"gauss-legendre:50"``, :func:`rule_from_spec`).
"""

from __future__ import annotations

import html
import json
import math
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import finite_differences as fd
from .adaptive import GaussKronrod
from .errors import SymrulesError
from .fields import fields, leaves, path_name
from .quadrature import DEFAULT_RULE, METHODS, MethodError, integrate
from .quadrature_rules import (
    ClenshawCurtis,
    GaussLegendre,
    QuadratureRule,
    Simpson,
    TanhSinh,
    Trapezoid,
)
from .reverse import value_and_grad
from .tangents import cotangent_at, is_zero

__all__ = [
    "RULES",
    "Comparison",
    "RuleSpecError",
    "compare",
    "field_gradient",
    "gradient_errors",
    "rule_from_spec",
]

#: Short rule names: ``name -> (constructor, default count, what the count is)``.
RULES: dict[str, tuple[Callable[[int], QuadratureRule], int, str]] = {
    "gauss-legendre": (GaussLegendre, 20, "nodes"),
    "clenshaw-curtis": (ClenshawCurtis, 33, "nodes"),
    "simpson": (Simpson, 100, "subintervals"),
    "trapezoid": (Trapezoid, 100, "subintervals"),
    "tanh-sinh": (lambda n: TanhSinh(level=n), 5, "level"),
    "gauss-kronrod": (lambda n: GaussKronrod(order=n), 21, "order"),
}


class RuleSpecError(SymrulesError, ValueError):
    """A rule name such as ``"gauss-legendre:50"`` names no rule or carries a bad count.

    Examples
    --------
    >>> try:
    ...     rule_from_spec("gauss:5")
    ... except RuleSpecError as err:
    ...     print(str(err)[:43])
    unknown rule 'gauss': choose gauss-legendre
    """


def rule_from_spec(spec: str) -> QuadratureRule:
    """The quadrature rule named by ``"NAME"`` or ``"NAME:COUNT"`` (see :data:`RULES`).

    Parameters
    ----------
    spec : str
        ``gauss-legendre[:N]``, ``clenshaw-curtis[:N]``, ``simpson[:N]``, ``trapezoid[:N]``,
        ``tanh-sinh[:LEVEL]`` or ``gauss-kronrod[:ORDER]`` (adaptive).

    Returns
    -------
    QuadratureRule

    Raises
    ------
    RuleSpecError
        An unknown name, a count that is not an integer, or one the rule rejects.

    Examples
    --------
    >>> rule_from_spec("gauss-legendre:50")
    GaussLegendre(n=50)
    >>> rule_from_spec("simpson").n
    100
    """
    name, _, count = spec.strip().lower().partition(":")
    if name not in RULES:
        raise RuleSpecError(f"unknown rule {name!r}: choose {', '.join(RULES)}")
    make, default, _ = RULES[name]
    if not count:
        return make(default)
    try:
        n = int(count)
    except ValueError:
        raise RuleSpecError(f"rule {spec!r}: the count after ':' must be an integer") from None
    try:
        return make(n)
    except SymrulesError as err:
        raise RuleSpecError(f"rule {spec!r}: {err}") from None


def _leaf_name(path: tuple) -> str:
    return path_name(path, root="").lstrip(".")


def _entries(values: dict[str, Any]) -> list[tuple[str, str, tuple]]:
    """``(leaf name, entry name, index)`` for every scalar entry: ``c`` of length 2 gives
    ``c[0]`` and ``c[1]``."""
    out = []
    for name, value in values.items():
        if np.ndim(value) == 0:
            out.append((name, name, ()))
        else:
            for idx in np.ndindex(np.shape(value)):
                out.append((name, name + "".join(f"[{i}]" for i in idx), idx))
    return out


def _flat(gradient: dict[str, Any]) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in gradient.values()])


def gradient_errors(g: dict[str, Any], ref: dict[str, Any]) -> tuple[float, float]:
    """Absolute error ``max |g - ref|`` and relative error ``max |g - ref| / max |ref|``.

    ``g`` and ``ref`` map field names to gradients; every entry counts.

    Examples
    --------
    >>> gradient_errors({"a": 1.5, "b": [1.0, 2.0]}, {"a": 1.0, "b": [1.0, 4.0]})
    (2.0, 0.5)
    """
    diff = float(np.max(np.abs(_flat(g) - _flat(ref))))
    scale = float(np.max(np.abs(_flat(ref))))
    if scale == 0.0:
        return diff, (0.0 if diff == 0.0 else math.inf)
    return diff, diff / scale


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return [_plain(v) for v in value.tolist()]
    value = float(value)
    return value if math.isfinite(value) else str(value)


def _seconds(t: float | None) -> str:
    if t is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


@dataclass(frozen=True)
class Comparison:
    """The gradient of ``integrate(f, domain, rule)`` by several methods, side by side.

    Made by :func:`compare`. Gradients are keyed by method, then by the name of the field
    of ``f`` (``"a"``, or ``"p"`` for an array, ``"q[0]"`` inside a captured tuple).

    Attributes
    ----------
    value : float
        The integral.
    params : dict
        The field values of ``f`` at which the gradients were taken.
    gradients : dict
        ``method -> field -> dI/dfield`` (a float, or an array for an array field) for every
        method that applied.
    times : dict
        ``method -> seconds`` for one value-and-gradient evaluation (the fastest of the
        timing repeats), or ``None`` when timing was switched off.
    skipped : dict
        ``method -> reason`` for each method that cannot apply to ``f``.
    reference : str or None
        The method the errors are measured against: "symbolic" when it applies, else "ad".
    abs_errors, rel_errors : dict
        Pairwise errors, ``abs_errors[m][n] = max |g_m - g_n|`` over all entries of the
        gradient, and ``rel_errors[m][n] = abs_errors[m][n] / max |g_n|``.
    domain : tuple
        The integration domain.
    rule : str
        The quadrature rule, as its ``repr``.
    methods : tuple
        The methods asked for, in order (applied or skipped).

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> from symrules.quadrature_rules import GaussLegendre
    >>> f = sr.Integrand("a * x**2 + b", a=2.0, b=1.0)
    >>> c = compare(f, (0.0, 1.0), GaussLegendre(3), repeat=0)
    >>> bool(np.allclose(c.gradients["ad"]["a"], 1 / 3)), c.reference
    (True, 'symbolic')
    >>> c.errors("fd")[0] < 1e-9
    True
    """

    value: float
    params: dict[str, Any]
    gradients: dict[str, dict[str, Any]]
    times: dict[str, float | None]
    skipped: dict[str, str]
    reference: str | None
    abs_errors: dict[str, dict[str, float]]
    rel_errors: dict[str, dict[str, float]]
    domain: tuple[float, ...]
    rule: str
    methods: tuple[str, ...]

    def errors(self, method: str, against: str | None = None) -> tuple[float, float]:
        """``(absolute, relative)`` error of ``method`` against ``against`` (the reference).

        Examples
        --------
        >>> import symrules as sr
        >>> c = compare(sr.Integrand("a * x", a=1.0), (0.0, 1.0), repeat=0)
        >>> c.errors("ad")
        (0.0, 0.0)
        """
        against = self.reference if against is None else against
        if method not in self.gradients or against not in self.gradients:
            missing = method if method not in self.gradients else against
            why = self.skipped.get(missing, "it was not requested")
            raise KeyError(f"no gradient by {missing!r}: {why}")
        return self.abs_errors[method][against], self.rel_errors[method][against]

    # plain data
    def to_dict(self) -> dict[str, Any]:
        """Plain data (floats, lists, strings) ready for JSON; non-finite floats as strings.

        Examples
        --------
        >>> import symrules as sr
        >>> d = compare(sr.Integrand("a * x", a=1.0), (0.0, 1.0), repeat=0).to_dict()
        >>> d["value"], d["gradients"]["symbolic"]["a"], d["reference"]
        (0.5, 0.5, 'symbolic')
        """
        return {
            "value": _plain(self.value),
            "domain": [_plain(p) for p in self.domain],
            "rule": self.rule,
            "params": {k: _plain(v) for k, v in self.params.items()},
            "methods": list(self.methods),
            "reference": self.reference,
            "gradients": {
                m: {k: _plain(v) for k, v in g.items()} for m, g in self.gradients.items()
            },
            "times": {m: t for m, t in self.times.items()},
            "skipped": dict(self.skipped),
            "abs_errors": {
                m: {n: _plain(e) for n, e in row.items()} for m, row in self.abs_errors.items()
            },
            "rel_errors": {
                m: {n: _plain(e) for n, e in row.items()} for m, row in self.rel_errors.items()
            },
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON string.

        Examples
        --------
        >>> import json
        >>> import symrules as sr
        >>> c = compare(sr.Integrand("a * x", a=1.0), (0.0, 1.0), methods=("ad",), repeat=0)
        >>> json.loads(c.to_json())["gradients"]
        {'ad': {'a': 0.5}}
        """
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    # tables
    def _rows(self) -> tuple[list[str], list[tuple[str, list[str], str, str, str]]]:
        entries = _entries(self.params)
        header = [f"dI/d{entry}" for _, entry, _ in entries]
        rows = []
        for m in self.methods:
            if m not in self.gradients:
                continue
            grads = [
                f"{float(np.asarray(self.gradients[m][leaf])[idx]):.15g}"
                for leaf, _, idx in entries
            ]
            if self.reference is None:
                abs_err = rel_err = "-"
            elif m == self.reference:
                abs_err, rel_err = "(reference)", ""
            else:
                e_abs, e_rel = self.errors(m)
                abs_err, rel_err = f"{e_abs:.2e}", f"{e_rel:.2e}"
            rows.append((m, grads, abs_err, rel_err, _seconds(self.times.get(m))))
        return header, rows

    def _title(self) -> list[str]:
        domain = ", ".join(f"{p:g}" for p in self.domain)
        params = ", ".join(f"{k} = {_show(v)}" for k, v in self.params.items())
        return [f"integral over ({domain}) by {self.rule}", f"at {params}"]

    def __str__(self) -> str:
        header, rows = self._rows()
        against = f"vs {self.reference}" if self.reference else "vs -"
        table = [["method", *header, f"abs err {against}", "rel err", "time"]]
        table += [[m, *grads, a, r, t] for m, grads, a, r, t in rows]
        widths = [max(len(row[k]) for row in table) for k in range(len(table[0]))]
        lines = [*self._title(), f"I = {self.value:.15g}", ""]
        for row in table:
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
        for m, why in self.skipped.items():
            lines.append(f"{m.ljust(widths[0])}  skipped: {why}")
        if len(self.gradients) > 2:
            lines += ["", "pairwise abs error (row vs column):"]
            names = list(self.gradients)
            w = max(len(n) for n in names)
            lines.append(" " * w + "".join(n.rjust(11) for n in names))
            for m in names:
                cells = "".join(f"{self.abs_errors[m][n]:11.2e}" for n in names)
                lines.append(m.ljust(w) + cells)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        entries = _entries(self.params)
        header, rows = self._rows()
        params = ", ".join(
            f'<span class="symrules-param" data-field="{esc(entry)}" '
            f'data-value="{float(np.asarray(self.params[leaf])[idx])!r}">'
            f"{esc(entry)} = {float(np.asarray(self.params[leaf])[idx]):.6g}</span>"
            for leaf, entry, idx in entries
        )
        head = "".join(f"<th>{esc(h)}</th>" for h in header)
        against = esc(self.reference or "-")
        out = [
            '<div class="symrules-comparison">',
            "<style>.symrules-comparison-table td { text-align: right; "
            "font-variant-numeric: tabular-nums; padding: 0 0.6em; }</style>",
            f'<p class="symrules-title">{esc(self._title()[0])}<br>at {params}<br>'
            f'<span class="symrules-value" data-value="{self.value!r}">I = {self.value:.15g}'
            "</span></p>",
            '<table class="symrules-comparison-table">',
            f"<thead><tr><th>method</th>{head}<th>abs err vs {against}</th><th>rel err</th>"
            "<th>time</th></tr></thead><tbody>",
        ]
        for m, grads, abs_err, rel_err, t in rows:
            cells = "".join(
                f'<td class="symrules-grad" data-method="{esc(m)}" data-field="{esc(entry)}" '
                f'data-value="{float(np.asarray(self.gradients[m][leaf])[idx])!r}">{g}</td>'
                for (leaf, entry, idx), g in zip(entries, grads, strict=True)
            )
            out.append(
                f'<tr data-method="{esc(m)}"><th>{esc(m)}</th>{cells}'
                f'<td class="symrules-abs-error">{abs_err}</td>'
                f'<td class="symrules-rel-error">{rel_err}</td>'
                f'<td class="symrules-time">{t}</td></tr>'
            )
        for m, why in self.skipped.items():
            out.append(
                f'<tr data-method="{esc(m)}" class="symrules-skipped"><th>{esc(m)}</th>'
                f'<td colspan="{len(header) + 3}">skipped: {esc(why)}</td></tr>'
            )
        out.append("</tbody></table></div>")
        return "\n".join(out)


def _show(value: Any) -> str:
    if np.ndim(value) == 0:
        return f"{float(value):g}"
    return "[" + ", ".join(f"{v:g}" for v in np.ravel(value)) + "]"


def _gradient_by_field(f: Any, f_bar: Any) -> dict[str, Any]:
    """``f_bar`` (a Tangent) as ``name -> cotangent`` for every differentiable leaf of ``f``."""
    out = {}
    for path, leaf in leaves(f):
        value = cotangent_at(f_bar, path)
        if value is None or is_zero(value):
            value = np.zeros(np.shape(leaf))
        value = np.asarray(value, dtype=float)
        out[_leaf_name(path)] = value if np.ndim(leaf) else float(value)
    return out


def _timed(run: Callable[[], Any], repeat: int, min_time: float) -> float | None:
    """Seconds per call: the loop count grows (1, 2, 5, 10, ...) until one timing lasts
    ``min_time``, as :meth:`timeit.Timer.autorange` does; then the fastest of ``repeat``."""
    if repeat <= 0:
        return None
    timer = timeit.Timer(run)
    number, scale = 1, 1
    while True:
        for k in (1, 2, 5):
            number = k * scale
            if timer.timeit(number) >= min_time:
                return min(timer.repeat(repeat, number)) / number
        scale *= 10


def compare(
    f: Callable[[Any], Any],
    domain: tuple[Any, ...],
    rule: QuadratureRule | None = None,
    methods: Sequence[str] = ("symbolic", "ad", "fd"),
    *,
    repeat: int = 3,
    min_time: float = 0.02,
    fd_step: float | None = None,
) -> Comparison:
    """The gradient of ``integrate(f, domain, rule)`` in ``f``'s fields by several methods.

    Each method computes ``value_and_grad`` of ``f -> integrate(f, domain, rule, method=m)``
    with respect to ``f``; the results are compared pairwise and against a reference, and
    each is timed.

    Parameters
    ----------
    f : callable
        A vectorized integrand with differentiable fields: an
        :class:`~symrules.symbolic.Integrand`, a closure, a callable object.
    domain : tuple
        ``(a, b)`` or ``(a, c1, ..., b)``, as for :func:`~symrules.quadrature.integrate`.
    rule : QuadratureRule, optional
        Default: ``integrate``'s default, the adaptive ``GaussKronrod()``.
    methods : sequence of {"symbolic", "ad", "fd", "auto"}
        A method that cannot apply (``"symbolic"`` for a plain closure) is kept in
        :attr:`Comparison.skipped` with the reason.
    repeat : int
        Timing repeats; the time is the fastest repeat divided by its loop count. 0 skips
        timing.
    min_time : float
        Each timing repeat runs the evaluation in a loop lasting at least this many seconds.
    fd_step : float, optional
        A fixed step for "fd" (central differences of order 4 on the integral); by default
        ``integrate``'s own step rule.

    Returns
    -------
    Comparison

    Raises
    ------
    FieldsError
        ``f`` has no differentiable field.
    MethodError
        An unknown method name.

    Examples
    --------
    >>> import numpy as np
    >>> from symrules.quadrature_rules import GaussLegendre
    >>> def make(a):
    ...     return lambda x: np.sin(a * x)
    >>> c = compare(make(2.0), (0.0, 1.0), GaussLegendre(20), repeat=0)
    >>> exact = np.sin(2.0) / 2.0 - (1.0 - np.cos(2.0)) / 4.0  # d/da of (1 - cos a) / a
    >>> bool(np.isclose(c.gradients["ad"]["a"], exact)), c.reference, "symbolic" in c.skipped
    (True, 'ad', True)
    """
    fields(f)
    for m in methods:
        if m not in METHODS:
            raise MethodError(f"unknown method {m!r}: choose from {METHODS}")
    rule = DEFAULT_RULE if rule is None else rule
    params = {_leaf_name(path): leaf for path, leaf in leaves(f)}
    value = None
    gradients: dict[str, dict[str, Any]] = {}
    times: dict[str, float | None] = {}
    skipped: dict[str, str] = {}
    for m in methods:
        run = _runner(f, domain, rule, m, fd_step)
        try:
            y, f_bar = run()
        except MethodError as err:
            skipped[m] = str(err)
            continue
        value = float(y) if value is None else value
        gradients[m] = _gradient_by_field(f, f_bar)
        times[m] = _timed(run, repeat, min_time)
    if value is None:
        value = float(integrate(f, domain, rule))
    reference = next((m for m in ("symbolic", "ad") if m in gradients), None)
    abs_errors: dict[str, dict[str, float]] = {m: {} for m in gradients}
    rel_errors: dict[str, dict[str, float]] = {m: {} for m in gradients}
    for m, g in gradients.items():
        for n, h in gradients.items():
            abs_errors[m][n], rel_errors[m][n] = gradient_errors(g, h)
    return Comparison(
        value=value,
        params=params,
        gradients=gradients,
        times=times,
        skipped=skipped,
        reference=reference,
        abs_errors=abs_errors,
        rel_errors=rel_errors,
        domain=tuple(float(p) for p in domain),
        rule=repr(rule),
        methods=tuple(methods),
    )


def _runner(
    f: Any, domain: tuple[Any, ...], rule: QuadratureRule, method: str, fd_step: float | None
) -> Callable[[], tuple[Any, Any]]:
    """A no-argument function returning ``(value, f_bar)`` by ``method``."""

    def integral(g: Any) -> Any:
        return integrate(g, domain, rule, method=method)

    if method == "fd" and fd_step is not None:

        def fd_at_step() -> tuple[Any, Any]:
            return integral(f), fd.gradient(integral, f, step=fd_step)

        return fd_at_step

    value_and_f_bar = value_and_grad(integral)

    def by_method() -> tuple[Any, Any]:
        return value_and_f_bar(f)

    return by_method


def field_gradient(
    f: Callable[[Any], Any],
    domain: tuple[Any, ...],
    rule: QuadratureRule | None = None,
    method: str = "auto",
    fd_step: float | None = None,
) -> dict[str, Any]:
    """The gradient of ``integrate(f, domain, rule, method=method)`` by field name of ``f``.

    One entry of :attr:`Comparison.gradients`, without timing; ``fd_step`` as in
    :func:`compare`.

    Examples
    --------
    >>> import symrules as sr
    >>> field_gradient(sr.Integrand("a * x + b", a=2.0, b=1.0), (0.0, 1.0), method="ad")
    {'a': 0.5, 'b': 1.0}
    """
    rule = DEFAULT_RULE if rule is None else rule
    return _gradient_by_field(f, _runner(f, domain, rule, method, fd_step)()[1])
