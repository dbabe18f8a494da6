"""The quadrature sum ``sum_i w_i f(x_i)``, checked: the integrand's values and the nodes named.

This module owns what every quadrature in symrules does with an integrand's values: refuse the
wrong shape or dtype (:func:`check_values`), name the node where a value is not finite
(:func:`non_finite`), form the weighted sum (:func:`contract`) and name numpy's error when an
integrand writes into its read-only nodes (:func:`node_writes_refused`); and where a moving end's
one-sided value is read (:func:`step_inside`). Nodes are a 1-D array
(one variable) or an array of shape ``(n, d)``, one point per row, as ``scipy.integrate.cubature``
passes them; a node is named by its value or its row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..engine.fields import leaves, path_name
from ..engine.tracing import strip
from ..errors import NonFiniteValueError, QuadratureInputError

__all__ = [
    "check_values",
    "contract",
    "node_name",
    "node_writes_refused",
    "non_finite",
    "step_inside",
]


def node_name(nodes: Any, i: int) -> str:
    """The node ``i`` as the messages show it: ``x=0.5``, or ``x=[0.5, 1.0]`` for a point."""
    nodes = np.asarray(strip(nodes))
    return f"x={nodes[i].tolist()!r}" if nodes.ndim == 2 else f"x={float(nodes[i])!r}"


def check_values(fx: Any, x: Any, what: str = "f") -> None:
    """Refuse integrand values of the wrong shape or dtype, naming ``what`` returned them.

    Examples
    --------
    >>> check_values(np.ones((3, 1)), np.zeros((3, 2)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symrules.errors.QuadratureInputError: f returned values of shape (3, 1) for 3 points in 2 ...
    """
    shape, x_shape = np.shape(strip(fx)), np.shape(strip(x))
    if shape != x_shape[:1]:
        count = f"{x_shape[0]} points in {x_shape[1]} dimensions, x of shape {x_shape}" \
            if len(x_shape) == 2 else f"{x_shape[0]} nodes"  # fmt: skip
        raise QuadratureInputError(
            f"{what} returned values of shape {shape} for {count}; a vectorized integrand "
            "returns one value per node (e.g. p * np.ones(len(x)) for a constant)"
        )
    dtype = np.result_type(strip(fx))  # not np.asarray: a staged value stays staged
    if dtype.kind not in "biuf":
        raise QuadratureInputError(f"{what} returned {dtype} values; real values needed")


def non_finite(fx: Any, x: Any, what: str, f: Any = None) -> None:
    """Refuse a non-finite integrand value, naming the first node where ``what`` has one, and
    a NaN or infinite field of ``f`` if that is the cause."""
    values, nodes = np.asarray(strip(fx)), np.asarray(strip(x))
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        at_end = nodes.ndim == 1 and float(nodes[bad[0]]) in (np.min(nodes), np.max(nodes))
        fields = [(p, v) for p, v in leaves(f) if not np.all(np.isfinite(strip(v)))]
        advice = (
            f"its field {path_name(fields[0][0], 'f')} is "
            f"{np.asarray(strip(fields[0][1])).tolist()}"
            if fields
            else "an integrable singularity at an end of the domain needs a rule that avoids the "
            "end (GaussLegendre, TanhSinh or GaussKronrod)"
            if at_end
            else "f is not finite inside the domain: a pole, or a NaN or infinite parameter"
        )
        raise NonFiniteValueError(
            f"{what} returned {values[bad[0]]} at node {node_name(nodes, bad[0])}; {advice}"
        )


def contract(w: Any, fx: Any, x: Any, f: Any = None) -> Any:
    """``sum_i w_i f(x_i)``, checking the values; a non-finite sum names the bad node (and a
    non-finite field of ``f``).

    Examples
    --------
    >>> x = np.array([[0.0, 1.0], [1.0, 1.0]])
    >>> float(contract(np.array([0.5, 0.5]), x.sum(axis=1), x))
    1.5
    """
    check_values(fx, x)
    y = np.dot(w, fx)
    if not np.isfinite(strip(y)):
        non_finite(fx, x, "f", f)
        raise QuadratureInputError(f"the quadrature sum overflowed to {strip(y)}")
    return y


@contextlib.contextmanager
def node_writes_refused() -> Iterator[None]:
    """Name numpy's error when ``f`` writes into the node array it was given (read-only)."""
    try:
        yield
    except ValueError as err:
        if "read-only" not in str(err):
            raise
        raise QuadratureInputError(
            "f wrote into its array of nodes, which integrate shares between calls and keeps "
            "read-only: compute into a new array (x = x.copy(), or np.where(...)) instead"
        ) from None


def step_inside(p: Any, toward: Any) -> Any:
    """``p`` moved one floating-point step toward ``toward`` (traced ``p`` stays traced): the
    point of a panel or box next to its end, where a jump at the end has its one-sided value.

    Examples
    --------
    >>> bool(step_inside(1.0, 0.0) == np.nextafter(1.0, 0.0))
    True
    """
    value = strip(p)  # not float(): a value staged by jit stays staged
    return p + (np.nextafter(value, strip(toward)) - value)
