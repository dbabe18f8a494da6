"""Export pins down: ``f.to_jax()`` and ``f.to_torch()`` give the values of ``f`` and, through
their generated pullbacks, the same gradients in the parameters and in ``x`` as ``jax.grad``
and ``torch.autograd`` of the same expression written directly (SymPy's ``parse_expr`` and
``lambdify``, no symbolic code of symrules involved), on the integrand catalogue, for ``x`` of
any shape and for points ``(n, d)`` in several variables; the JAX function runs under
``jax.jit``; a function with no translation, a wrong parameter and a missing library are
refused by name.
"""

import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
import torch
from integrand_catalogue import CATALOGUE, IDS, Case
from sympy.parsing.sympy_parser import parse_expr

from symrules.errors import InputError, NoNumpyPrinterError
from symrules.symbolic import Integrand

jax.config.update("jax_enable_x64", True)  # float64, as the numpy rules compute

# The generated closed form and the library's AD of the same expression, both in float64,
# differ by rounding only (a few ulps, summed over at most ~100 nodes).
RTOL = 1e-10
ATOL = 1e-12


def _direct(case: Case, modules: str) -> tuple[list[str], object]:
    """``(argument names, fn(x, *scalars))``: the expression lambdified by SymPy alone, an
    array parameter ``c`` given component by component as ``c_0, c_1, ...``."""
    x = sp.Symbol("x", real=True)
    local: dict[str, object] = {"x": x}
    components: dict[sp.Basic, sp.Symbol] = {}
    names: list[str] = []
    for name, value in case.params.items():
        if np.ndim(value):
            base = sp.IndexedBase(name, real=True)
            local[name] = base
            for k in range(len(value)):
                components[base[k]] = sp.Symbol(f"{name}_{k}", real=True)
                names.append(f"{name}_{k}")
        else:
            local[name] = sp.Symbol(name, real=True)
            names.append(name)
    expr = parse_expr(case.expr, local_dict=local).xreplace(components)
    symbols = [sp.Symbol(n, real=True) for n in names]
    return names, sp.lambdify([x, *symbols], expr, modules=modules)


def _scalars(case: Case, params: dict) -> list:
    """The parameters' values in the order of :func:`_direct`'s arguments."""
    out = []
    for name, value in case.params.items():
        out.extend(
            [params[name][k] for k in range(len(value))] if np.ndim(value) else [params[name]]
        )
    return out


@pytest.mark.parametrize("case", CATALOGUE, ids=IDS)
def test_jax_matches_jax_grad_of_the_expression(case: Case, rng: np.random.Generator) -> None:
    f = Integrand(case.expr, **case.params)
    g = f.to_jax()
    _, direct = _direct(case, "jax")
    x = case.nodes(9)
    w = rng.uniform(0.5, 1.5, x.shape)
    params = {n: jnp.asarray(v) for n, v in case.params.items()}

    def exported(p, x):
        return jnp.sum(w * g(p, x))

    def written(p, x):
        return jnp.sum(w * (direct(x, *_scalars(case, p)) + 0.0 * x))

    np.testing.assert_allclose(g(params, x), f(x), rtol=RTOL, atol=ATOL)
    got = jax.jit(jax.grad(exported, argnums=(0, 1)))(params, x)
    want = jax.grad(written, argnums=(0, 1))(params, x)
    for name in case.params:
        np.testing.assert_allclose(got[0][name], want[0][name], rtol=RTOL, atol=ATOL,
                                   err_msg=name)  # fmt: skip
    np.testing.assert_allclose(got[1], want[1], rtol=RTOL, atol=ATOL, err_msg="x")


@pytest.mark.parametrize("case", CATALOGUE, ids=IDS)
def test_torch_matches_autograd_of_the_expression(case: Case, rng: np.random.Generator) -> None:
    f = Integrand(case.expr, **case.params)
    F = f.to_torch()
    _, direct = _direct(case, "torch")
    x0 = case.nodes(9)
    w = torch.tensor(rng.uniform(0.5, 1.5, x0.shape))

    def leaves() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        x = torch.tensor(x0, requires_grad=True)
        params = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True)
                  for n, v in case.params.items()}  # fmt: skip
        return x, params

    x, params = leaves()
    y = F.apply(x, *(params[n] for n in F.names))
    np.testing.assert_allclose(y.detach().numpy(), f(x0), rtol=RTOL, atol=ATOL)
    (w * y).sum().backward()
    x_ref, params_ref = leaves()
    (w * (direct(x_ref, *_scalars(case, params_ref)) + 0.0 * x_ref)).sum().backward()
    for name in case.params:
        np.testing.assert_allclose(params[name].grad, params_ref[name].grad, rtol=RTOL,
                                   atol=ATOL, err_msg=name)  # fmt: skip
    np.testing.assert_allclose(x.grad, x_ref.grad, rtol=RTOL, atol=ATOL, err_msg="x")


def test_nodes_of_any_shape(rng: np.random.Generator) -> None:
    # x of shape (3, 4): y and x_bar keep that shape; the oracle is the closed form
    f = Integrand("a*sin(b*x)", a=1.5, b=0.7)
    x = rng.uniform(-1.0, 1.0, (3, 4))
    g = f.to_jax()
    x_bar = jax.grad(lambda x: jnp.sum(g(g.params, x)))(x)
    np.testing.assert_allclose(x_bar, 1.5 * 0.7 * np.cos(0.7 * x), rtol=RTOL, atol=ATOL)
    xt = torch.tensor(x, requires_grad=True)
    F = f.to_torch()
    F.apply(xt, *F.params.values()).sum().backward()
    np.testing.assert_allclose(xt.grad, 1.5 * 0.7 * np.cos(0.7 * x), rtol=RTOL, atol=ATOL)


def test_several_variables(rng: np.random.Generator) -> None:
    # points (n, 2); the oracle: jax.grad / torch.autograd of the expression written by hand
    f = Integrand("a*exp(-b*(x**2 + y**2))*sin(x*y)", var=("x", "y"), a=1.2, b=0.8)
    points = rng.uniform(-1.0, 1.0, (7, 2))
    w = rng.uniform(0.5, 1.5, 7)

    def by_hand(a, b, p, lib):
        x, y = p[:, 0], p[:, 1]
        return (lib.asarray(w) * a * lib.exp(-b * (x**2 + y**2)) * lib.sin(x * y)).sum()

    g = f.to_jax()
    params = {"a": 1.2, "b": 0.8}
    np.testing.assert_allclose(g(params, points), f(points), rtol=RTOL, atol=ATOL)
    got = jax.grad(lambda p, x: jnp.sum(w * g(p, x)), argnums=(0, 1))(params, points)
    want = jax.grad(lambda a, b, p: by_hand(a, b, p, jnp), argnums=(0, 1, 2))(1.2, 0.8, points)
    np.testing.assert_allclose([got[0]["a"], got[0]["b"]], want[:2], rtol=RTOL, atol=ATOL)
    assert got[1].shape == points.shape
    np.testing.assert_allclose(got[1], want[2], rtol=RTOL, atol=ATOL)

    F = f.to_torch()
    leaves = [torch.tensor(v, requires_grad=True) for v in (1.2, 0.8, points)]
    refs = [torch.tensor(v, requires_grad=True) for v in (1.2, 0.8, points)]
    (torch.tensor(w) * F.apply(leaves[2], leaves[0], leaves[1])).sum().backward()
    by_hand(refs[0], refs[1], refs[2], torch).backward()
    for got_leaf, ref, name in zip(leaves, refs, ("a", "b", "x"), strict=True):
        np.testing.assert_allclose(got_leaf.grad, ref.grad, rtol=RTOL, atol=ATOL, err_msg=name)


def test_piecewise_and_steps(rng: np.random.Generator) -> None:
    # jumps print as jnp.select / torch.where; the oracle is the closed form, away from jumps
    f = Integrand("Piecewise((a*x, x < c), (b*x**2, True)) + Heaviside(x - b)*x", a=2.0, b=0.5,
                  c=0.1)  # fmt: skip
    x = np.concatenate([rng.uniform(-1.0, 0.05, 5), rng.uniform(0.15, 0.45, 5),
                        rng.uniform(0.55, 1.0, 5)])  # fmt: skip
    want_x_bar = np.where(x < 0.1, 2.0, 2 * 0.5 * x) + (x > 0.5)
    want = {"a": np.sum(np.where(x < 0.1, x, 0.0)), "b": np.sum(np.where(x < 0.1, 0.0, x**2)),
            "c": 0.0}  # fmt: skip
    g = f.to_jax()
    np.testing.assert_allclose(g(g.params, x), f(x), rtol=RTOL, atol=ATOL)
    p_bar, x_bar = jax.grad(lambda p, x: jnp.sum(g(p, x)), argnums=(0, 1))(g.params, x)
    np.testing.assert_allclose(x_bar, want_x_bar, rtol=RTOL, atol=ATOL)
    F = f.to_torch()
    xt, params = (
        torch.tensor(x, requires_grad=True),
        [p.requires_grad_() for p in F.params.values()],
    )
    y = F.apply(xt, *params)
    np.testing.assert_allclose(y.detach().numpy(), f(x), rtol=RTOL, atol=ATOL)
    y.sum().backward()
    np.testing.assert_allclose(xt.grad, want_x_bar, rtol=RTOL, atol=ATOL)
    for name, leaf in zip(F.names, params, strict=True):
        np.testing.assert_allclose(p_bar[name], want[name], rtol=RTOL, atol=ATOL, err_msg=name)
        np.testing.assert_allclose(leaf.grad, want[name], rtol=RTOL, atol=ATOL, err_msg=name)


def test_source_is_generated_from_the_derivation() -> None:
    f = Integrand("a*exp(-b*x)", a=2.0, b=0.5)
    jax_source, torch_source = f.to_jax().source, f.to_torch().source
    assert "def pullback(y_bar, x_, a_, b_):" in jax_source
    assert "jnp.exp(" in jax_source and "np." not in jax_source.replace("jnp.", "")
    assert "torch.exp(" in torch_source and "jnp" not in torch_source


@pytest.mark.parametrize("target", ["to_jax", "to_torch"])
def test_function_without_translation_is_named(target: str) -> None:
    f = Integrand("a*besselj(0, x)", a=1.0)
    with pytest.raises(NoNumpyPrinterError, match="besselj"):
        getattr(f, target)()


def test_torch_refuses_a_function_its_printer_does_not_know() -> None:
    with pytest.raises(NoNumpyPrinterError, match="erfc has no torch translation"):
        Integrand("erfc(a*x)", a=1.0).to_torch()


def test_wrong_parameters_are_named() -> None:
    f = Integrand("a*x + b", a=1.0, b=2.0)
    with pytest.raises(InputError, match=r"\('a', 'b'\), got \['a'\]"):
        f.to_jax()({"a": 1.0}, np.ones(3))
    F = f.to_torch()
    with pytest.raises(InputError, match="b must be a torch tensor, got float"):
        F.apply(torch.ones(3, dtype=torch.float64), torch.tensor(1.0), 2.0)
    with pytest.raises(InputError, match="got 1"):
        F.apply(torch.ones(3, dtype=torch.float64), torch.tensor(1.0))


@pytest.mark.parametrize("target, module", [("to_jax", "jax"), ("to_torch", "torch")])
def test_missing_library_says_how_to_install(target: str, module: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    with pytest.raises(ImportError, match=r"symrules\[interop\]"):
        getattr(Integrand("a*x", a=1.0), target)()
