"""The values an Integrand's generated code is called with: its parameters and its points.

This module owns the checks at the boundary between a user's values and generated code: a
parameter is a real scalar or 1-D array (:func:`parameter_value`), passed as numpy scalars
(:func:`numpy_args`); the nodes of an integrand in one variable are a float array of any shape
(:func:`as_nodes`); the points of an integrand in several variables are a float array of shape
``(n, d)``, one column a variable, as ``scipy.integrate.cubature`` takes them
(:func:`as_points`); the backend is "numba" or "numpy" (:func:`check_backend`,
:func:`chosen_backend`). Anything else is refused with an error naming it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.tracing import Box, is_traced
from ..errors import InputError, ParameterValueError

__all__ = [
    "as_nodes",
    "as_points",
    "check_backend",
    "chosen_backend",
    "numpy_args",
    "parameter_value",
]


def parameter_value(name: str, value: Any) -> tuple[int | None, Any]:
    """``(size, value)``: ``None`` and a float for a scalar, the length and a float array.

    Generated code receives scalars as ``np.float64`` (see :func:`numpy_args`).

    Examples
    --------
    >>> parameter_value("a", 2), parameter_value("c", [1, 2])
    ((None, 2.0), (2, array([1., 2.])))
    """
    if isinstance(value, Box):
        shape = tuple(value.shape)
    elif is_traced(value):
        raise ParameterValueError(
            f"parameter {name!r} holds traced values inside a {type(value).__name__}; "
            "make it one array (np.stack) or one scalar"
        )
    else:
        try:
            value = np.asarray(value)
        except (TypeError, ValueError) as err:
            raise ParameterValueError(f"parameter {name!r}: {err}") from None
        if value.dtype.kind not in "biuf":
            raise ParameterValueError(
                f"parameter {name!r} must be a real number or 1-D array, got dtype {value.dtype}"
            )
        shape = value.shape
        value = float(value) if value.ndim == 0 else value.astype(float)
    if len(shape) > 1:
        raise ParameterValueError(
            f"parameter {name!r} has shape {shape}; parameters are scalars or 1-D arrays"
        )
    return (shape[0] if shape else None), value


def numpy_args(values: Any) -> list[Any]:
    """Parameter values as generated code receives them: Python scalars as ``np.float64``.

    Generated code then follows numpy's semantics (``0.0**-0.5`` is ``inf`` with a warning,
    not a ``ZeroDivisionError``; ``(-0.5)**0.5`` is ``nan``, not a complex number).

    Examples
    --------
    >>> [type(v).__name__ for v in numpy_args([0.5, np.ones(2)])]
    ['float64', 'ndarray']
    """
    return [np.float64(v) if type(v) is float or type(v) is int else v for v in values]


def as_nodes(x: Any) -> Any:
    """The nodes as a float array (or a traced one); anything else is refused by name.

    Examples
    --------
    >>> as_nodes([0, 1])
    array([0., 1.])
    >>> as_nodes("x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symrules.errors.InputError: an Integrand is called on real numbers (an array of nodes), ...
    """
    if type(x) is np.ndarray and x.dtype.kind == "f":
        return x
    if getattr(type(x), "_symrules_traced", False):
        return x
    try:
        nodes = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"an Integrand is called on real numbers (an array of nodes), got "
            f"{type(x).__name__} {repr(x)[:40]}"
        ) from None
    return nodes


def as_points(x: Any, variables: tuple[str, ...]) -> Any:
    """The points of an integrand in ``variables``: a float array (or a traced one) of shape
    ``(n, d)``, column ``k`` the variable ``variables[k]``; any other shape is refused.

    Examples
    --------
    >>> as_points([[0, 1], [2, 3]], ("x", "y")).shape
    (2, 2)
    >>> as_points([0.0, 1.0], ("x", "y"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symrules.errors.InputError: an Integrand in the variables (x, y) is called on points of ...
    """
    points = as_nodes(x)
    shape = tuple(points.shape)
    if len(shape) != 2 or shape[1] != len(variables):
        names = ", ".join(variables)
        raise InputError(
            f"an Integrand in the variables ({names}) is called on points of shape (n, "
            f"{len(variables)}), column k the variable var[k] ({names}); got shape {shape}"
        )
    return points


def check_backend(backend: Any) -> None:
    """Refuse a backend other than "numba", "numpy" or ``None`` (the default)."""
    if backend is not None and backend not in ("numba", "numpy"):
        raise InputError(
            f"backend must be 'numba' or 'numpy', got {backend!r}; a parameter cannot be "
            "named 'backend' or 'var' (keywords of Integrand): rename it"
        )


def chosen_backend(backend: str | None, rules: Any) -> str:
    """The backend an Integrand of ``rules`` runs: ``backend``, or numba where it has a kernel."""
    if backend is None:
        return "numba" if rules.kernel is not None else "numpy"
    if backend == "numba" and rules.kernel is None:
        raise InputError(
            f"backend='numba': {rules.expr} has no numba kernel ({rules.no_kernel}); use "
            "backend='numpy'"
        )
    return backend
