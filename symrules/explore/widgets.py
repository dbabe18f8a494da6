"""The :class:`GradientExplorer`: :func:`~symrules.explore.compare.compare`, live, in a notebook.

This module owns the interactive view of a quadrature functional's gradient: a slider per
scalar field of the integrand, a rule picker and node count, method toggles and a finite-
difference step, the comparison table, and four plots (the integrand and its partials with
the nodes marked, the finite-difference error against the step, the error against the node
count, the time per method). Over a box in d dimensions the rules are those of
:data:`~symrules.explore.rule_specs.BOX_RULES` and the integrand is a heat map over the first
two axes with the nodes. It needs ``ipywidgets`` and ``matplotlib`` (the ``jupyter`` extra)
and is imported only as ``symrules.widgets``, never by ``import symrules``.

How it works: every control is observed; a change recomputes the comparison and redraws the
plots with matplotlib's Agg canvas into PNG bytes, which replace the ``value`` of
``Image`` widgets in place (no clearing, so no flicker). Sliders send their value when
released (``continuous_update=False``). A sweep that runs longer than a moment shows a
progress bar.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

try:
    import ipywidgets as w
    import matplotlib  # noqa: F401  (the plots draw with it)
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "symrules.widgets needs ipywidgets and matplotlib: pip install 'symrules[jupyter]'"
    ) from err

from ..engine.fields import leaves, path_name, replace_leaves
from ..errors import SymrulesError
from ..quadrature import CubatureRule, Product, QuadratureRule
from ..quadrature.boxes import default_box_rule, is_box
from . import plots
from .compare import compare, plain_domain
from .comparison import Comparison
from .rule_specs import BOX_RULES, RULES, RuleTable, rule_from_spec

__all__ = ["GradientExplorer"]

SLOW = 0.25  # seconds: a sweep running longer than this shows its progress bar
# a checkbox as wide as its label, the same gap after each (a fixed width spaced them unevenly)
_TOGGLE = {"width": "auto", "margin": "2px 1.5em 2px 0"}


def _spec(rule: QuadratureRule | CubatureRule, table: RuleTable) -> tuple[str, int] | None:
    """``(name, count)`` of a rule the picker knows (in ``table``), else ``None``."""
    parts = [rule, *getattr(rule, "rules", ())]  # a product's count is its axis rules'
    counts = [getattr(r, attr, None) for r in parts for attr in ("n", "level", "order")]
    for name, (make, default, _) in table.items():
        for count in [*(c for c in counts if isinstance(c, int)), default]:
            try:
                if make(count) == rule:
                    return name, count
            except SymrulesError:  # a count this rule refuses (Simpson's 21 subintervals)
                continue
    return None


def _slider_range(value: float) -> tuple[float, float, float]:
    """``(min, max, step)`` around ``value``: two units either side, a hundredth-unit step."""
    unit = 10.0 ** np.floor(np.log10(max(abs(value), 1.0)))
    step = unit / 100
    span = 2 * unit * np.ceil(max(abs(value), 1.0) / unit)
    return (
        float(np.round((value - span) / step) * step),
        float(np.round((value + span) / step) * step),
        float(step),
    )


class GradientExplorer:
    """Sliders for the fields of ``f``; the gradient of ``integrate(f, domain)`` by each method.

    Parameters
    ----------
    f : callable
        An integrand with scalar (or small array) float fields, e.g. an
        :class:`~symrules.symbolic.integrand.Integrand` or a closure.
    domain : tuple
        ``(a, b)`` or ``(a, c1, ..., b)``; or a box ``((a0, b0), (a1, b1), ...)``, where
        ``f(x)`` gets ``x`` of shape ``(n, d)``: the integrand plot is then a heat map over
        the first two axes (the slice through the box's centre in more than 2 dimensions)
        with the nodes (at most :data:`~symrules.explore.plots.MAX_NODES`).
    rule : QuadratureRule or CubatureRule, optional
        The initial rule (default ``GaussLegendre(20)``; over a box ``integrate``'s default,
        a 1-D rule meaning the same rule on every axis); the picker offers the rules of
        :data:`~symrules.explore.rule_specs.RULES`, or of
        :data:`~symrules.explore.rule_specs.BOX_RULES` over a box.
    methods : sequence of str
        The methods toggled on at the start.
    ranges : dict, optional
        ``name -> (min, max, step)`` for a slider (default: two units either side of the
        value, a hundredth-unit step).
    max_components : int
        An array field gets one slider per component up to this length, else none (noted).
    plots : bool
        Draw the four plots (the table alone is much faster).

    Attributes
    ----------
    sliders : dict
        ``field name -> FloatSlider`` (``"c[0]"`` for a component).
    rule_picker, count : ipywidgets.Dropdown, ipywidgets.BoundedIntText
        The rule and its count (nodes, subintervals, level or order; over a box, per axis
        for a product and in all for quasi-Monte Carlo and Monte Carlo; see the label).
    method_toggles : dict
        ``method -> Checkbox``.
    fd_auto, fd_step : ipywidgets.Checkbox, ipywidgets.FloatLogSlider
        Finite differences with each field's step searched for, or at the chosen step (the
        slider is disabled while the search is ticked). An
        "fd" entry further from the reference than its own error estimate is marked ``!``
        in the table (``data-fd-mark="exceeds-estimate"``).
    comparison : Comparison
        The latest comparison; ``table`` (an HTML widget) shows it.
    plots : dict
        ``"integrand" | "fd_steps" | "nodes" | "times" -> Image`` widget holding a PNG.
    widget : ipywidgets.VBox
        Everything, as one widget (what a notebook displays).

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> f = sr.Integrand("a**2 * x", a=1.0)  # I = a**2 / 2, dI/da = a
    >>> explorer = GradientExplorer(f, (0.0, 1.0), plots=False)
    >>> explorer.sliders["a"].value = 2.5
    >>> g = explorer.comparison.gradients
    >>> bool(np.isclose(g["symbolic"]["a"], 2.5)), bool(np.isclose(g["fd"]["a"], 2.5))
    (True, True)
    >>> explorer.fd_step.disabled  # while the step search picks each field's step
    True
    >>> explorer.fd_auto.value = False
    >>> explorer.fd_step.disabled
    False

    Over a box (here a closure, ``I = a / 4``, ``dI/da = 1 / 4``):

    >>> def make(a):
    ...     return lambda x: a * x[:, 0] * x[:, 1]
    >>> explorer = GradientExplorer(make(1.0), ((0, 1), (0, 1)), plots=False)
    >>> explorer.rule_picker.value, explorer.count.value
    ('product-gauss-legendre', 20)
    >>> float(explorer.comparison.gradients["ad"]["a"])
    0.25
    """

    def __init__(
        self,
        f: Callable[[Any], Any],
        domain: tuple[Any, ...],
        rule: QuadratureRule | CubatureRule | None = None,
        methods: Sequence[str] = ("symbolic", "ad", "fd"),
        *,
        ranges: dict[str, tuple[float, float, float]] | None = None,
        max_components: int = 8,
        plots: bool = True,
    ) -> None:
        self.f = f
        self.box = is_box(domain)
        self.domain = plain_domain(domain)
        self._rules = BOX_RULES if self.box else RULES
        self.notes: list[str] = []
        self.comparison: Comparison | None = None
        self._draw_plots = plots
        self._quiet = False
        self._leaves = dict(leaves(f))
        self.sliders = self._make_sliders(ranges or {}, max_components)

        given: QuadratureRule | CubatureRule
        if self.box:  # a 1-D rule over a box: the same rule on every axis
            given = default_box_rule(len(self.domain)) if rule is None else rule
            given = Product(given) if isinstance(given, QuadratureRule) else given
        else:
            given = rule or rule_from_spec("gauss-legendre:20")
        spec = _spec(given, self._rules)
        options = [(name, name) for name in self._rules]
        if spec is None:
            options.insert(0, (f"as given: {given!r}", "given"))
            spec = ("given", 0)
        self._given_rule = given
        self.rule_picker = w.Dropdown(options=options, value=spec[0], description="rule")
        most = 2**30 if self.box else 100_000  # Monte Carlo points, or nodes on an interval
        self.count = w.BoundedIntText(value=spec[1], min=0, max=most, description="count")
        self.method_toggles = {
            m: w.Checkbox(value=m in methods, description=m, indent=False, layout=_TOGGLE)
            for m in ("symbolic", "ad", "fd")
        }
        self.fd_auto = w.Checkbox(
            value=True, description="step search", indent=False, layout=_TOGGLE
        )
        self.fd_step = w.FloatLogSlider(
            value=1e-6,
            base=10,
            min=-13,
            max=-1,
            step=0.5,
            description="fd step",
            readout_format=".0e",
            continuous_update=False,
        )
        w.dlink((self.fd_auto, "value"), (self.fd_step, "disabled"))  # the search sets the step
        self.progress = w.IntProgress(
            value=0, min=0, max=1, description="sweep", layout=w.Layout(display="none")
        )
        self.status = w.HTML(value="", layout=w.Layout(display="none"))
        self.status.add_class("symrules-status")
        self.table = w.HTML(value="")
        self.table.add_class("symrules-table")
        image = {"format": "png", "layout": w.Layout(width="100%")}
        self.plots = {k: w.Image(**image) for k in ("integrand", "fd_steps", "nodes", "times")}
        self.widget = self._layout()
        self.widget.add_class("symrules-explorer")

        self._set_count_label()
        self.rule_picker.observe(self._rule_changed, names="value")
        controls = [
            *self.sliders.values(),
            self.count,
            self.fd_auto,
            self.fd_step,
            *self.method_toggles.values(),
        ]
        for control in controls:
            control.observe(self._changed, names="value")
        self.update()

    # controls
    def _make_sliders(self, ranges: dict, max_components: int) -> dict[str, w.FloatSlider]:
        sliders = {}
        for path, leaf in self._leaves.items():
            name = path_name(path, root="").lstrip(".")
            if np.ndim(leaf) == 0:
                entries = [(name, path, (), float(leaf))]
            elif np.size(leaf) <= max_components:
                entries = [
                    (f"{name}[{', '.join(map(str, idx))}]", path, idx, float(leaf[idx]))
                    for idx in np.ndindex(np.shape(leaf))
                ]
            else:
                self.notes.append(
                    f"{name} has {np.size(leaf)} entries: no sliders (at most "
                    f"{max_components}, see max_components)"
                )
                continue
            for entry, entry_path, idx, value in entries:
                lo, hi, step = ranges.get(entry, _slider_range(value))
                slider = w.FloatSlider(
                    value=value,
                    min=lo,
                    max=hi,
                    step=step,
                    description=entry,
                    continuous_update=False,
                    readout_format=".3g",
                )
                slider.add_class("symrules-slider")
                slider.add_class(
                    "symrules-slider-" + "".join(c if c.isalnum() else "-" for c in entry)
                )
                slider._symrules_at = (entry_path, idx)
                sliders[entry] = slider
        return sliders

    def _layout(self) -> w.VBox:
        # "methods" and "fd" in the description column, like "rule" and "count" (an empty
        # HTML widget shows its description there; a Label's value would overwrite it)
        methods = w.HBox([w.HTML(description="methods"), *self.method_toggles.values()])
        fd_auto = w.HBox([w.HTML(description="fd"), self.fd_auto])
        controls = w.VBox([self.rule_picker, self.count, methods, fd_auto, self.fd_step])
        row = w.HBox([w.VBox(list(self.sliders.values())), controls])
        for box, name in ((row, "controls"), (methods, "methods"), (fd_auto, "fd-auto")):
            box.add_class(f"symrules-{name}")  # hooks for the real-browser test
        self.fd_step.add_class("symrules-fd-step")
        grid = w.GridBox(
            list(self.plots.values()) if self._draw_plots else [],
            layout=w.Layout(grid_template_columns="repeat(2, minmax(0, 432px))"),
        )
        return w.VBox([row, self.progress, self.status, self.table, grid])

    def _set_count_label(self) -> None:
        name = self.rule_picker.value
        self.count.disabled = name == "given"
        self.count.description = "count" if name == "given" else self._rules[name][2]

    def _rule_changed(self, change: dict) -> None:
        self._set_count_label()
        if change["new"] != "given":
            self._quiet = True  # one update for the new rule and its default count
            try:
                self.count.value = self._rules[change["new"]][1]
            finally:
                self._quiet = False
        self.update()

    def _changed(self, change: dict) -> None:
        if not self._quiet:
            self.update()

    # state
    def current_f(self) -> Any:
        """``f`` with the slider values put into its fields.

        Examples
        --------
        >>> import symrules as sr
        >>> explorer = GradientExplorer(sr.Integrand("a * x", a=1.0), (0.0, 1.0), plots=False)
        >>> explorer.sliders["a"].value = 3.0
        >>> float(explorer.current_f()(2.0))
        6.0
        """
        new: dict[tuple, Any] = {}
        for slider in self.sliders.values():
            path, idx = slider._symrules_at
            if idx == ():
                new[path] = slider.value
            else:
                new.setdefault(path, np.array(self._leaves[path], dtype=float))[idx] = slider.value
        return replace_leaves(self.f, new)

    def current_rule(self) -> QuadratureRule | CubatureRule:
        """The rule the picker and count select (raises ``RuleSpecError`` for a bad count)."""
        if self.rule_picker.value == "given":
            return self._given_rule
        return rule_from_spec(f"{self.rule_picker.value}:{self.count.value}", self._rules)

    def methods(self) -> list[str]:
        """The methods toggled on."""
        return [m for m, toggle in self.method_toggles.items() if toggle.value]

    def update(self) -> None:
        """Recompute the comparison and redraw; a bad setting shows in ``status`` instead."""
        try:
            f, rule = self.current_f(), self.current_rule()
            step = None if self.fd_auto.value else float(self.fd_step.value)
            comparison = compare(
                f, self.domain, rule, self.methods(), repeat=3, min_time=0.002, fd_step=step
            )
            if self._draw_plots:
                images = self._draw(f, rule, comparison)
        except SymrulesError as err:
            self.status.value = f'<span class="symrules-error">{html.escape(str(err))}</span>'
            self.status.layout.display = None
            return
        self.comparison = comparison
        notes = "".join(f"<div>{html.escape(n)}</div>" for n in self.notes)
        with self.table.hold_sync(), self.status.hold_sync():
            self.status.value = notes
            self.status.layout.display = None if notes else "none"  # no blank line when empty
            self.table.value = comparison._repr_html_()
        if self._draw_plots:
            for name, png in images.items():
                self.plots[name].value = png

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # plots
    def _sweep(self, items: Sequence[Any], label: str) -> Iterable[Any]:
        """``items`` one by one; the progress bar appears once the sweep has run a moment."""
        start = time.perf_counter()
        self.progress.description, self.progress.max, self.progress.value = label, len(items), 0
        try:
            for k, item in enumerate(items):
                yield item
                self.progress.value = k + 1
                if time.perf_counter() - start > SLOW:
                    self.progress.layout.display = None
        finally:
            self.progress.layout.display = "none"  # gone, not hidden: no gap above the table

    def _draw(self, f: Any, rule: Any, c: Comparison) -> dict[str, bytes]:
        chosen = None if self.fd_auto.value else float(self.fd_step.value)
        name = self.rule_picker.value
        if self.box:
            integrand = plots.draw_integrand_map(f, self.domain, rule)
            nodes = plots.draw_node_errors(
                f, self.domain, name, c, self._sweep, BOX_RULES, plots.BOX_SWEEPS
            )
        else:
            integrand = plots.draw_integrand(f, self.domain, rule)
            nodes = plots.draw_node_errors(f, self.domain, name, c, self._sweep)
        return {
            "integrand": integrand,
            "fd_steps": plots.draw_fd_steps(f, self.domain, rule, c, self._sweep, chosen),
            "nodes": nodes,
            "times": plots.draw_times(c),
        }
