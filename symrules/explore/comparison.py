"""The result of a comparison of gradient methods, and how it renders.

A :class:`Comparison` holds the value of a quadrature functional, its gradient by field for
each method, their errors against each other and against a reference, the time each method
took, and the error finite differences estimate for themselves (see
:func:`~symrules.explore.compare.compare`, which computes it). It renders as an HTML table in
Jupyter, as an aligned text table in a terminal, and converts to plain data (``to_dict``,
``to_json``). Over a box the domain shows as ``[a0, b0] x [a1, b1]``, and a value with an
error estimate (quasi-Monte Carlo, Monte Carlo) as ``value ± error``. An "fd" entry that
differs from the reference by more than its own error estimate is marked ``!``: finite
differences were fooled (a kink at the parameter, noise), or the reference is wrong (a jump
that moves with the parameter).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Comparison", "time_unit"]

_MARK = ' data-fd-mark="exceeds-estimate"'  # on what shows an "fd" entry beyond its estimate
_FLAG = ' <span class="symrules-fd-mark" title="beyond its error estimate">!</span>'


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


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return [_plain(v) for v in value]
    value = float(value)
    return value if math.isfinite(value) else str(value)


def _at(values: dict[str, Any], leaf: str, idx: tuple) -> float:
    """Entry ``idx`` of ``values[leaf]`` as a float (``idx = ()`` for a scalar field)."""
    return float(np.asarray(values[leaf])[idx])


def _estimates(fd_error: dict[str, Any]) -> list[str]:
    """Each entry of an "fd" error estimate as shown in the row below "fd"."""
    return [f"{_at(fd_error, leaf, idx):.1e}" for leaf, _, idx in _entries(fd_error)]


def time_unit(t: float) -> tuple[str, float]:
    """``(unit, seconds per unit)`` that shows ``t`` seconds as a number from 1 to 1000.

    Examples
    --------
    >>> time_unit(0.00086), time_unit(2.5), time_unit(3e-8)
    (('us', 1e-06), ('s', 1.0), ('ns', 1e-09))
    """
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if t >= scale:
            return unit, scale
    return "ns", 1e-9


def _seconds(t: float | None) -> str:
    if t is None:
        return "-"
    unit, scale = time_unit(t)
    return f"{t / scale:.3g} {unit}"


@dataclass(frozen=True, repr=False)
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
        The integration domain: its points ``(a, ..., b)``, or a box ``((a0, b0), ...)``.
    rule : str
        The quadrature rule, as its ``repr``.
    methods : tuple
        The methods asked for, in order (applied or skipped).
    fd_error : dict or None
        ``field -> estimated absolute error`` of the "fd" gradient (shaped like it), from the
        step search of :class:`~symrules.checking.stencils.FDM`; ``None`` without "fd".
    error : float or None
        The rule's error estimate of ``value`` over a box (``QMC``, ``MonteCarlo``: see
        :func:`~symrules.quadrature.boxes.estimate`); ``None`` for a rule without one.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> from symrules import GaussLegendre
    >>> f = sr.Integrand("a * x**2 + b", a=2.0, b=1.0)
    >>> c = sr.compare(f, (0.0, 1.0), GaussLegendre(3), repeat=0)
    >>> bool(np.allclose(c.gradients["ad"]["a"], 1 / 3)), c.reference
    (True, 'symbolic')
    >>> c.errors("fd")[0] <= max(c.fd_error.values()) < 1e-9, c.fd_exceeds_estimate()
    (True, [])

    A REPL shows the text table (``repr`` is ``str``), a notebook the HTML one:

    >>> sr.compare(f, (0.0, 1.0), GaussLegendre(3), methods=("symbolic", "ad"), repeat=0)
    integral over (0, 1) by GaussLegendre(n=3)
    at a = 2, b = 1
    I = 1.66666666666667
    <BLANKLINE>
    method                dI/da  dI/db  abs err vs symbolic   rel err  time
    symbolic  0.333333333333333      1          (reference)               -
    ad        0.333333333333333      1             0.00e+00  0.00e+00     -
    """

    value: float
    params: dict[str, Any]
    gradients: dict[str, dict[str, Any]]
    times: dict[str, float | None]
    skipped: dict[str, str]
    reference: str | None
    abs_errors: dict[str, dict[str, float]]
    rel_errors: dict[str, dict[str, float]]
    domain: tuple[Any, ...]
    rule: str
    methods: tuple[str, ...]
    fd_error: dict[str, Any] | None = None
    error: float | None = None

    def errors(self, method: str, against: str | None = None) -> tuple[float, float]:
        """``(absolute, relative)`` error of ``method`` against ``against`` (the reference).

        Examples
        --------
        >>> import symrules as sr
        >>> c = sr.compare(sr.Integrand("a * x", a=1.0), (0.0, 1.0), repeat=0)
        >>> c.errors("ad")
        (0.0, 0.0)
        """
        against = self.reference if against is None else against
        if against is None:
            raise KeyError(f"no reference gradient to compare {method!r} against; pass against=")
        if method not in self.gradients or against not in self.gradients:
            missing = method if method not in self.gradients else against
            why = self.skipped.get(missing, "it was not requested")
            raise KeyError(f"no gradient by {missing!r}: {why}")
        return self.abs_errors[method][against], self.rel_errors[method][against]

    def fd_exceeds_estimate(self) -> list[str]:
        """The entries (``"a"``, ``"c[1]"``) where "fd" differs from the reference by more
        than its own error estimate; empty without an estimate or a reference.

        Examples
        --------
        >>> import symrules as sr
        >>> f = sr.Integrand("exp(a * x)", a=1.0)
        >>> c = sr.compare(f, (0.0, 1.0), repeat=0, methods=("ad", "fd"))
        >>> c.fd_exceeds_estimate()
        []
        """
        return [entry for entry, _, _ in self._fd_beyond()]

    def _fd_beyond(self) -> list[tuple[str, float, float]]:
        """``(entry, |fd - reference|, estimate)`` for every "fd" entry beyond its estimate."""
        if self.fd_error is None or self.reference is None or "fd" not in self.gradients:
            return []
        fd, ref = self.gradients["fd"], self.gradients[self.reference]
        out = []
        for leaf, entry, idx in _entries(self.params):
            off = abs(_at(fd, leaf, idx) - _at(ref, leaf, idx))
            estimate = _at(self.fd_error, leaf, idx)
            if not off <= estimate:  # a nan counts as beyond
                out.append((entry, off, estimate))
        return out

    # plain data
    def to_dict(self) -> dict[str, Any]:
        """Plain data (floats, lists, strings) ready for JSON; non-finite floats as strings.

        Examples
        --------
        >>> import symrules as sr
        >>> d = sr.compare(sr.Integrand("a * x", a=1.0), (0.0, 1.0), repeat=0).to_dict()
        >>> d["value"], d["gradients"]["symbolic"]["a"], d["reference"]
        (0.5, 0.5, 'symbolic')
        """
        return {
            "value": _plain(self.value),
            "error": None if self.error is None else _plain(self.error),
            "domain": _plain(np.asarray(self.domain, dtype=float)),
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
            "fd_error": (
                None if self.fd_error is None else {k: _plain(v) for k, v in self.fd_error.items()}
            ),
            "fd_exceeds_estimate": self.fd_exceeds_estimate(),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON string.

        Examples
        --------
        >>> import json
        >>> import symrules as sr
        >>> c = sr.compare(sr.Integrand("a * x", a=1.0), (0.0, 1.0), methods=("ad",), repeat=0)
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
            grads = [f"{_at(self.gradients[m], leaf, idx):.15g}" for leaf, _, idx in entries]
            if self.reference is None:
                abs_err = rel_err = "-"
            elif m == self.reference:
                abs_err, rel_err = "(reference)", ""
            else:
                e_abs, e_rel = self.errors(m)
                abs_err, rel_err = f"{e_abs:.2e}", f"{e_rel:.2e}"
            rows.append((m, grads, abs_err, rel_err, _seconds(self.times.get(m))))
        return header, rows

    def _fd_notes(self) -> list[str]:
        """One line per marked "fd" entry: how far it is off, against its estimate."""
        return [
            f"! fd dI/d{entry} differs from {self.reference} by {off:.2e} "
            f"(exceeds its error estimate {estimate:.1e})"
            for entry, off, estimate in self._fd_beyond()
        ]

    def _title(self) -> list[str]:
        if np.ndim(self.domain) == 2:  # a box
            domain = " x ".join(f"[{a:g}, {b:g}]" for a, b in self.domain)
        else:
            domain = "(" + ", ".join(f"{p:g}" for p in self.domain) + ")"
        params = ", ".join(f"{k} = {_show(v)}" for k, v in self.params.items())
        return [f"integral over {domain} by {self.rule}", f"at {params}"]

    def _value(self) -> str:
        """``I = value``, with ``± error`` where the rule estimates one."""
        error = "" if self.error is None else f" ± {self.error:.2g}"
        return f"I = {self.value:.15g}{error}"

    def __str__(self) -> str:
        header, rows = self._rows()
        marked = {f"dI/d{entry}" for entry in self.fd_exceeds_estimate()}
        against = f"vs {self.reference}" if self.reference else "vs -"
        table = [["method", *header, f"abs err {against}", "rel err", "time"]]
        for m, grads, a, r, t in rows:
            if m == "fd":
                grads = [g + " !" if h in marked else g for g, h in zip(grads, header, strict=True)]
            table.append([m, *grads, a, r, t])
            if m == "fd" and self.fd_error is not None:
                table.append(["± fd", *_estimates(self.fd_error), "", "", ""])
        widths = [max(len(row[k]) for row in table) for k in range(len(table[0]))]
        lines = [*self._title(), self._value(), ""]
        for row in table:
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
        for m, why in self.skipped.items():
            lines.append(f"{m.ljust(widths[0])}  skipped: {why}")
        lines += self._fd_notes()
        if len(self.gradients) > 2:
            lines += ["", "pairwise abs error (row vs column):"]
            names = list(self.gradients)
            w = max(len(n) for n in names)
            lines.append(" " * w + "".join(n.rjust(11) for n in names))
            for m in names:
                errs = "".join(f"{self.abs_errors[m][n]:11.2e}" for n in names)
                lines.append(m.ljust(w) + errs)
        return "\n".join(lines)

    def __repr__(self) -> str:
        """The aligned text table, as :meth:`__str__` (a REPL shows it, as pandas does)."""
        return str(self)

    def _repr_html_(self) -> str:
        esc = html.escape
        entries = _entries(self.params)
        header, rows = self._rows()
        marked = self.fd_exceeds_estimate()
        params = ", ".join(
            f'<span class="symrules-param" data-field="{esc(entry)}" '
            f'data-value="{_at(self.params, leaf, idx)!r}">'
            f"{esc(entry)} = {_at(self.params, leaf, idx):.6g}</span>"
            for leaf, entry, idx in entries
        )
        head = "".join(f"<th>{esc(h)}</th>" for h in header)
        against = esc(self.reference or "-")
        error = "" if self.error is None else f' data-error="{self.error!r}"'
        out = [
            '<div class="symrules-comparison">',
            "<style>.symrules-comparison-table td { text-align: right; "
            "font-variant-numeric: tabular-nums; padding: 0 0.6em; } "
            ".symrules-fd-mark { color: #c00; font-weight: bold; }</style>",
            f'<p class="symrules-title">{esc(self._title()[0])}<br>at {params}<br>'
            f'<span class="symrules-value" data-value="{self.value!r}"{error}>'
            f"{esc(self._value())}</span></p>",
            '<table class="symrules-comparison-table">',
            f"<thead><tr><th>method</th>{head}<th>abs err vs {against}</th><th>rel err</th>"
            "<th>time</th></tr></thead><tbody>",
        ]
        for m, grads, abs_err, rel_err, t in rows:
            cells = ""
            for (leaf, entry, idx), g in zip(entries, grads, strict=True):
                extra = ""
                if m == "fd" and self.fd_error is not None:
                    extra = f' data-error="{_at(self.fd_error, leaf, idx)!r}"'
                if m == "fd" and entry in marked:
                    extra += _MARK
                    g += _FLAG
                cells += (
                    f'<td class="symrules-grad" data-method="{esc(m)}" data-field="{esc(entry)}" '
                    f'data-value="{_at(self.gradients[m], leaf, idx)!r}"{extra}>{g}</td>'
                )
            mark = _MARK if m == "fd" and marked else ""
            out.append(
                f'<tr data-method="{esc(m)}"{mark}><th>{esc(m)}</th>{cells}'
                f'<td class="symrules-abs-error">{abs_err}</td>'
                f'<td class="symrules-rel-error">{rel_err}</td>'
                f'<td class="symrules-time">{t}</td></tr>'
            )
            if m == "fd" and self.fd_error is not None:
                errors = "".join(
                    f'<td class="symrules-fd-error" data-field="{esc(entry)}" '
                    f'data-value="{_at(self.fd_error, leaf, idx)!r}">&plusmn;{e}</td>'
                    for (leaf, entry, idx), e in zip(
                        entries, _estimates(self.fd_error), strict=True
                    )
                )
                out.append(
                    f'<tr class="symrules-fd-error-row"><th title="the error finite differences '
                    f'estimate for themselves">&plusmn; fd</th>{errors}<td colspan="3"></td></tr>'
                )
        for m, why in self.skipped.items():
            out.append(
                f'<tr data-method="{esc(m)}" class="symrules-skipped"><th>{esc(m)}</th>'
                f'<td colspan="{len(header) + 3}">skipped: {esc(why)}</td></tr>'
            )
        out.append("</tbody></table>")
        out += [f'<p class="symrules-fd-warning"{_MARK}>{esc(n)}</p>' for n in self._fd_notes()]
        out.append("</div>")
        return "\n".join(out)


def _show(value: Any) -> str:
    if np.ndim(value) == 0:
        return f"{float(value):g}"
    return "[" + ", ".join(f"{v:g}" for v in np.ravel(value)) + "]"
