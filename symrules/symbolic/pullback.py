"""The generated pullback of an expression on its own, for code that is not an Integrand.

:func:`symbolic_rule` declares the expression as :class:`~symrules.symbolic.integrand.Integrand`
does, takes the generated ``pullback`` from the cache and gives it a signature in the user's
names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..errors import ParameterNameError, SymbolicError
from .arguments import as_nodes, numpy_args, parameter_value
from .declaration import Declaration
from .loader import generated_rules
from .parse import free_names

__all__ = ["symbolic_rule"]


def symbolic_rule(expr: Any, /, wrt: str | tuple[str, ...], var: str = "x",
                  **params: Any) -> Callable[..., Any]:  # fmt: skip
    """The generated pullback of ``expr`` as a standalone function.

    Parameters
    ----------
    expr : str or sympy.Expr
        The expression, as for :class:`Integrand`.
    wrt : str or tuple of str
        The names (parameters and/or the variable) whose cotangents are returned.
    var : str
        Name of the variable.
    **params
        Example values fixing each parameter's shape (scalar or 1-D array of a length).
        Default: every free name of ``expr`` other than ``var`` is a scalar parameter.

    Returns
    -------
    callable
        ``pullback(y_bar, x, *params) -> cotangents`` (parameters positionally in
        declaration order, or by name): for a scalar parameter ``sum(y_bar * df/dp)``, for an
        array parameter the vector of those sums, for the variable ``y_bar * df/dx``. One
        value when ``wrt`` is a string, else a tuple in the order of ``wrt``.

    Examples
    --------
    >>> import numpy as np
    >>> pullback = symbolic_rule("a*sin(x)", wrt=("a", "x"))
    >>> x = np.array([0.0, 0.5])
    >>> a_bar, x_bar = pullback(np.ones(2), x, a=2.0)
    >>> bool(np.isclose(a_bar, np.sin(0.5))), bool(np.allclose(x_bar, 2 * np.cos(x)))
    (True, True)
    """
    if not isinstance(var, str):
        raise ParameterNameError(
            f"var must be a string naming the variable, got {type(var).__name__}; a parameter "
            "cannot be named 'var' or 'wrt' (the keywords of symbolic_rule): rename it"
        )
    if not params:
        params = {name: 0.0 for name in free_names(expr, var)}
    sizes = {name: parameter_value(name, value)[0] for name, value in params.items()}
    rules = generated_rules(expr, Declaration(var, tuple(sizes.items())))
    var = rules.declaration.variables[0]
    order = [*rules.declaration.names, var]
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    bad = [n for n in names if n not in order]
    if bad:
        raise SymbolicError(f"wrt={bad[0]!r} is not a parameter or the variable; have {order}")
    signature = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
         for n in ("y_bar", var, *rules.declaration.names)]
    )  # fmt: skip

    def symbolic_pullback(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs).arguments
        values = numpy_args(bound[n] for n in rules.declaration.names)
        bars = rules.pullback(bound["y_bar"], as_nodes(bound[var]), *values,
                              need_x_bar=var in names)  # fmt: skip
        out = tuple(bars[order.index(n)] for n in names)
        return out[0] if isinstance(wrt, str) else out

    # inspect.signature reads this; typeshed does not declare it on functions
    symbolic_pullback.__signature__ = signature  # type: ignore[attr-defined]
    symbolic_pullback.__doc__ = f"Generated pullback of {rules.expr} with respect to {names}."
    return symbolic_pullback
