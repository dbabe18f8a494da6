"""HIPS autograd's own test suite, run unedited against symrules through a thin shim.

A coverage claim measured against a peer: autograd's ``tests/*.py`` import ``autograd``,
``autograd.numpy`` and ``autograd.test_util``; this script writes a stand-in ``autograd``
package whose ``numpy`` is :mod:`symrules.numpy` (numpy, building arrays from traced values
too) and whose differential operators are symrules'
(``grad``, ``value_and_grad``, ``jacobian``, ``hessian``, ``elementwise_grad``, ``make_vjp``,
``make_jvp``), with ``check_grads``/``combo_check`` implemented as autograd's are (a VJP and a
JVP against central differences with autograd's step and tolerances, recursively to
``order``), runs pytest on a copy of the tests, and counts the outcomes by test file and by
the error that failed them.

Not applicable, and left out of the count: autograd's own machinery (``test_core``,
``test_vspaces``, ``test_builtins``, ``test_direct``, ``test_graphs``, ``test_wrappers``,
``test_tests``, ``test_performance``, ``test_dict``, ``test_list``, ``test_tuple``,
``test_misc``, ``test_logic``), and tests of autograd's own functions (``NOT_APPLICABLE_TESTS``).

Run: ``python benchmarks/autograd_suite.py AUTOGRAD_CHECKOUT`` (a clone of
github.com/HIPS/autograd; its ``tests/`` directory is read), ``--keep DIR`` to keep the
generated tree, ``-k EXPR`` to pass a selection to pytest.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

NOT_APPLICABLE = {
    "test_core.py", "test_vspaces.py", "test_builtins.py", "test_direct.py", "test_graphs.py",
    "test_wrappers.py", "test_tests.py", "test_performance.py", "test_dict.py", "test_list.py",
    "test_tuple.py", "test_misc.py", "test_logic.py",
}  # fmt: skip
# Tests of functions autograd adds to its numpy namespace (not numpy's, so not a user's numpy
# code): deselected, and counted as not applicable.
NOT_APPLICABLE_TESTS = {
    "test_numpy.py::test_make_diagonal",  # np.make_diagonal is autograd's own
    "test_numpy.py::test_diagonal",  # calls np.make_diagonal too
    # autograd's convolve generalises scipy's with axes= and dot_axes=, which scipy has not
    "test_scipy.py::test_convolve_generalization",
    "test_scipy.py::test_convolve_ignore",
    "test_scipy.py::test_convolve_ignore_dot",
    # asserts that autograd raises NotImplementedError for rfftn of an odd last axis, which
    # symrules differentiates (checked against jax in tests/engine/test_numpy_fft.py)
    "test_fft.py::test_rfftn_odd_not_implemented",
}

SHIM = {
    "autograd/__init__.py": '''
        """symrules behind autograd's names (a test shim)."""
        import builtins

        import numpy as _np

        import symrules as _sr

        tuple, list, dict, isinstance, type = (builtins.tuple, builtins.list, builtins.dict,
                                               builtins.isinstance, builtins.type)


        def _conj(x):
            """autograd's cotangents are the conjugates of JAX's, which symrules follows: its
            VJP is the adjoint under Re(conj(a) b), JAX's the transpose under Re(a b)."""
            if isinstance(x, (tuple, list)):
                return type(x)(_conj(part) for part in x)
            return _np.conj(x) if _np.iscomplexobj(x) else x


        def _size_one_as_scalar(fun):
            """autograd's grad takes an output of size 1, shape (1, 1) say, as the scalar it
            holds; symrules' grad wants a scalar."""
            def scalar_fun(*args, **kwargs):
                y = fun(*args, **kwargs)
                shape = getattr(y, "shape", ())
                return _np.reshape(y, ()) if shape and _np.prod(shape) == 1 else y

            return scalar_fun


        def grad(fun, argnum=0):
            gradfun = _sr.grad(_size_one_as_scalar(fun), argnums=argnum)
            return lambda *args, **kwargs: _conj(gradfun(*args, **kwargs))


        def value_and_grad(fun, argnum=0):
            both = _sr.value_and_grad(_size_one_as_scalar(fun), argnums=argnum)

            def value_and_gradfun(*args, **kwargs):
                y, g = both(*args, **kwargs)
                return y, _conj(g)

            return value_and_gradfun


        def jacobian(fun, argnum=0):
            return _sr.jacobian(fun, argnums=argnum)


        def hessian(fun, argnum=0):
            return _sr.hessian(fun, argnums=argnum)


        def _unary(fun, args, kwargs, argnum):
            """``fun`` of its ``argnum``-th argument, the others held at ``args``."""
            def unary(x):
                a = builtins.list(args)
                a[argnum] = x
                return fun(*a, **kwargs)

            return unary


        def elementwise_grad(fun, argnum=0):
            def gradfun(*args, **kwargs):
                y, pullback = _sr.vjp(_unary(fun, args, kwargs, argnum), args[argnum])
                return _conj(pullback(_np.ones_like(y))[0])

            return gradfun


        def make_vjp(fun, argnum=0):
            def vjp_maker(*args, **kwargs):
                y, pullback = _sr.vjp(_unary(fun, args, kwargs, argnum), args[argnum])
                return (lambda g: _conj(pullback(_conj(g))[0])), y

            return vjp_maker


        def make_jvp(fun, argnum=0):
            def jvp_maker(*args, **kwargs):
                unary = _unary(fun, args, kwargs, argnum)
                return lambda v: _sr.jvp(unary, (args[argnum],), (v,))

            return jvp_maker
    ''',
    "autograd/numpy/__init__.py": '''
        from symrules.numpy import *  # noqa: F403  (numpy that builds arrays of traced values)
        import autograd.numpy.fft, autograd.numpy.linalg, autograd.numpy.random  # the modules below
    ''',
    "autograd/numpy/numpy_boxes.py": "",
    "autograd/numpy/random.py": "from symrules.numpy.random import *  # noqa: F403\n",
    "autograd/numpy/linalg.py": '''
        from symrules.numpy.linalg import *  # noqa: F403
        import symrules.numpy as _np


        def T(x):  # autograd's own helpers in its linalg module (its tests call them)
            return _np.swapaxes(x, -1, -2)


        def _dot(a, b):
            return _np.matmul(a, b)
    ''',
    "autograd/numpy/fft.py": "from symrules.numpy.fft import *  # noqa: F403\n",
    "autograd/scipy/__init__.py": "from . import special, stats, signal, linalg, integrate, misc\n",
    "autograd/scipy/special.py": "from symrules.scipy.special import *  # noqa: F403\n",
    "autograd/scipy/stats/__init__.py": "from symrules.scipy.stats import *  # noqa: F403\n",
    **{
        f"autograd/scipy/stats/{name}.py": (
            f"from symrules.scipy.stats import {name} as _d\n"
            "globals().update({k: getattr(_d, k) for k in dir(_d) if not k.startswith('_')})\n"
        )
        for name in ("norm", "t", "multivariate_normal", "beta", "gamma", "chi2", "poisson",
                     "dirichlet")
    },
    "autograd/scipy/signal.py": "from symrules.scipy.signal import *  # noqa: F403\n",
    "autograd/scipy/linalg.py": "from symrules.scipy.linalg import *  # noqa: F403\n",
    "autograd/scipy/integrate.py": "from scipy.integrate import *  # noqa: F403\n",
    "autograd/scipy/misc.py": "from symrules.scipy.special import logsumexp  # noqa: F401\n",
    "autograd/test_util.py": '''
        """autograd's check_grads, on symrules: the same checks, step and tolerances."""
        from itertools import product

        import numpy as np

        import symrules as sr

        TOL = 1e-6
        RTOL = 1e-6
        EPS = 1e-6


        def scalar_close(a, b):
            return abs(a - b) < TOL or abs(a - b) / abs(a + b) < RTOL


        # a minimal vspace: arrays and numbers, and tuples, lists and dicts of them
        def _map(fn, *xs):
            x = xs[0]
            if isinstance(x, (tuple, list)):
                return type(x)(_map(fn, *parts) for parts in zip(*xs))
            if isinstance(x, dict):
                return {k: _map(fn, *(d[k] for d in xs)) for k in x}
            return fn(*xs)


        def _leaves(x):
            if isinstance(x, (tuple, list)):
                return [leaf for part in x for leaf in _leaves(part)]
            if isinstance(x, dict):
                return [leaf for k in x for leaf in _leaves(x[k])]
            return [x]


        def _randn(x):
            def one(a):
                a = np.asarray(a)
                r = np.asarray(np.random.randn(*a.shape))
                if np.iscomplexobj(a):
                    r = r + 1j * np.asarray(np.random.randn(*a.shape))
                return r if a.shape else r[()]
            return _map(one, x)


        def _add(x, y):
            return _map(lambda a, b: a + b, x, y)


        def _scale(x, c):
            return _map(lambda a: a * c, x)


        def _inner(x, y):
            return sum(float(np.real(np.vdot(np.asarray(a), np.asarray(b))))
                       for a, b in zip(_leaves(x), _leaves(y)))


        def _dense(ct, like):
            """A cotangent as arrays shaped like ``like`` (symbolic zeros filled in)."""
            if isinstance(like, (tuple, list)):
                if not isinstance(ct, (tuple, list)):
                    ct = [ct] * len(like) if sr.engine.tangents.is_zero(ct) else ct
                return type(like)(_dense(c, l) for c, l in zip(ct, like))
            if isinstance(like, dict):
                return {k: _dense(ct[k] if isinstance(ct, dict) else ct, like[k]) for k in like}
            if sr.engine.tangents.is_zero(ct) or isinstance(ct, sr.SkippedTangent):
                return np.zeros_like(like)
            return ct


        def make_numerical_jvp(f, x):
            def jvp(v):
                plus = f(_add(x, _scale(v, EPS / 2)))
                minus = f(_add(x, _scale(v, -EPS / 2)))
                return _scale(_add(plus, _scale(minus, -1.0)), 1.0 / EPS)
            return jvp


        def _rebuild(like, flat):
            """``like``'s nested tuples and lists, with the leaves taken from ``flat``."""
            if isinstance(like, (tuple, list)):
                return type(like)(_rebuild(part, flat) for part in like)
            return flat.pop(0)


        def _vjp(f, x):
            # symrules takes several primals, not a nested tuple: flatten it
            leaves = _leaves(x)
            y, pullback = sr.vjp(lambda *xs: f(_rebuild(x, list(xs))), *leaves)
            # autograd's VJP is the adjoint under Re(vdot(a, b)): the conjugate of JAX's, which
            # symrules follows, taken at the conjugate cotangent
            conj = lambda t: _map(lambda a: np.conj(a) if np.iscomplexobj(a) else a, t)
            return (lambda g: conj(_dense(_rebuild(x, list(pullback(conj(g)))), x))), y


        def _jvp(f, x, v):
            return sr.jvp(lambda *xs: f(_rebuild(x, list(xs))), tuple(_leaves(x)),
                          tuple(_leaves(v)))


        def check_vjp(f, x):
            vjp, y = _vjp(f, x)
            jvp = make_numerical_jvp(f, x)
            x_v, y_v = _randn(x), _randn(y)
            vjv_exact = _inner(x_v, vjp(y_v))
            vjv_numeric = _inner(y_v, jvp(x_v))
            assert scalar_close(vjv_numeric, vjv_exact), (
                f"VJP check failed: analytic {vjv_exact} numeric {vjv_numeric}")


        def check_jvp(f, x):
            v = _randn(x)
            exact = _jvp(f, x, v)[1]
            numeric = make_numerical_jvp(f, x)(v)
            u = _randn(numeric)
            assert scalar_close(_inner(exact, u), _inner(numeric, u)), "JVP check failed"


        def _check(f, x, modes, order):
            if "fwd" in modes:
                check_jvp(f, x)
                if order > 1:
                    grad_f = lambda x, v: _jvp(f, x, v)[1]
                    check_grads(grad_f, (0, 1), modes, order=order - 1)(x, _randn(x))
            if "rev" in modes:
                check_vjp(f, x)
                if order > 1:
                    grad_f = lambda x, v: _vjp(f, x)[0](v)
                    check_grads(grad_f, (0, 1), modes, order=order - 1)(x, _randn(f(x)))


        def check_grads(f, argnum=0, modes=None, order=2):
            modes = ["fwd", "rev"] if modes is None else modes

            def nary(*args, **kwargs):
                many = isinstance(argnum, (tuple, list))
                nums = tuple(argnum) if many else (argnum,)

                def unary(x):
                    a = list(args)
                    for i, xi in zip(nums, x if many else (x,)):
                        a[i] = xi
                    return f(*a, **kwargs)

                x = tuple(args[i] for i in nums) if many else args[argnum]
                _check(unary, x, modes, order)

            return nary


        def combo_check(fun, *args, **kwargs):
            _check_grads = lambda f: check_grads(f, *args, **kwargs)

            def _combo_check(*args, **kwargs):
                kwarg_key_vals = [[(k, x) for x in xs] for k, xs in kwargs.items()]
                for _args in product(*args):
                    for _kwargs in product(*kwarg_key_vals):
                        _check_grads(fun)(*_args, **dict(_kwargs))

            return _combo_check
    ''',
}

# An error message's first line -> its cause, most specific first.
CAUSES = [
    ("complex values", re.compile(r"is complex|complex", re.I)),
    ("numpy/scipy function without a rule", re.compile(r"has no differentiation rule")),
    ("array built from traced values (np.array, ...)", re.compile(r"converted to a plain")),
    ("keyword or form without a rule", re.compile(r"not supported|not differentiable|no rule")),
    ("shim: autograd-only API", re.compile(r"has no attribute|cannot import|No module named")),
    ("derivative disagrees", re.compile(r"check failed")),
]


def write_shim(root: Path) -> None:
    for rel, text in SHIM.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("autograd", type=Path, help="a checkout of HIPS/autograd")
    parser.add_argument("--keep", type=Path, help="write the tree here and keep it")
    parser.add_argument("-k", dest="select", help="a pytest -k expression")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="autograd-suite-"))
    write_shim(root)
    tests = root / "tests"
    shutil.rmtree(tests, ignore_errors=True)
    tests.mkdir()
    for path in sorted((args.autograd / "tests").glob("*.py")):
        if path.name not in NOT_APPLICABLE:
            shutil.copy(path, tests / path.name)
    command = [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider",
               "--no-header", "-o", "addopts=", "-W", "ignore", str(tests)]  # fmt: skip
    if args.select:
        command += ["-k", args.select]
    command += [f"--deselect=tests/{test}" for test in sorted(NOT_APPLICABLE_TESTS)]
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "COLUMNS": "1000"}  # full messages
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)
    summary = re.search(r"(\d+) passed", done.stdout)
    failed = re.findall(r"^(FAILED|ERROR) (\S+?)::(\S+) - (.*)$", done.stdout, re.M)
    by_cause: collections.Counter[str] = collections.Counter()
    by_file: collections.Counter[str] = collections.Counter()
    for _, file, _, message in failed:
        by_file[Path(file).name] += 1
        cause = next((name for name, pattern in CAUSES if pattern.search(message)), "other")
        by_cause[cause] += 1
    passed = int(summary.group(1)) if summary else 0
    total = passed + len(failed)
    if total == 0:
        sys.exit(f"pytest ran nothing:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    print(f"autograd's applicable tests: {passed} of {total} pass "
          f"({100 * passed / max(total, 1):.1f}%)")  # fmt: skip
    print(f"not applicable: {len(NOT_APPLICABLE_TESTS)} tests of autograd's own functions")
    print("failures by cause: " + ", ".join(f"{k} {v}" for k, v in by_cause.most_common()))
    print("failures by file:  " + ", ".join(f"{k} {v}" for k, v in by_file.most_common()))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
