"""The reverse-mode engine over plain numpy code, and its rules.

Tangent types (:mod:`~symrules.engine.tangents`) and the fields of callables
(:mod:`~symrules.engine.fields`) are the data; the rule registry
(:mod:`~symrules.engine.registry`), the numpy table (:mod:`~symrules.engine.table` for its
API, :mod:`~symrules.engine.numpy_table`, :mod:`~symrules.engine.numpy_arrays`,
:mod:`~symrules.engine.numpy_products`, :mod:`~symrules.engine.numpy_shapes`,
:mod:`~symrules.engine.numpy_complex`, :mod:`~symrules.engine.numpy_linalg`,
:mod:`~symrules.engine.numpy_decompositions`, :mod:`~symrules.engine.numpy_fft` and
:mod:`~symrules.engine.scipy_special` for numpy's and scipy's derivatives; the ``scipy_*``
and ``construction`` modules behind :mod:`symrules.scipy` and :mod:`symrules.numpy`) and
``primitive``
(:mod:`~symrules.engine.primitives`) say how to differentiate a call, and
:mod:`~symrules.engine.needs` tells a rule which cotangents are wanted; tracing
(:mod:`~symrules.engine.tracing`) intercepts numpy calls on traced values and recording
(:mod:`~symrules.engine.recording`) applies their rules and :mod:`~symrules.engine.sweep`
walks the tape back; :mod:`~symrules.engine.reverse` and :mod:`~symrules.engine.forward` are
the user's entry points; :mod:`~symrules.engine.jit` runs a computation as generated code
after staging it once (:mod:`~symrules.engine.staging`). Broadcasting is undone in one
place, :mod:`~symrules.engine.broadcasting`.
"""

from . import numpy_arrays as _numpy_arrays  # noqa: F401  (registers the rest of it)
from . import numpy_complex as _numpy_complex  # noqa: F401  (and complex numbers' parts)
from . import numpy_decompositions as _numpy_decompositions  # noqa: F401  (its decompositions)
from . import numpy_fft as _numpy_fft  # noqa: F401  (and numpy.fft)
from . import numpy_linalg as _numpy_linalg  # noqa: F401  (and numpy.linalg)
from . import numpy_products as _numpy_products  # noqa: F401  (and products of arrays)
from . import numpy_shapes as _numpy_shapes  # noqa: F401  (and splits, pad, select, gradient)
from . import numpy_table as _numpy_table  # noqa: F401  (registers the numpy table)
from . import scipy_special as _scipy_special  # noqa: F401  (and scipy.special)
from .fields import fields, with_fields
from .forward import jvp
from .jit import jit
from .needs import Needs
from .primitives import non_differentiable, primitive
from .registry import frule, register_frule, register_rrule, rrule
from .reverse import grad, hessian, jacobian, rrule_via_ad, value_and_grad, vjp
from .tangents import NoTangent, SkippedTangent, Tangent, ZeroTangent

__all__ = [
    "jit",
    "Needs",
    "NoTangent",
    "SkippedTangent",
    "Tangent",
    "ZeroTangent",
    "fields",
    "frule",
    "grad",
    "hessian",
    "jacobian",
    "jvp",
    "non_differentiable",
    "primitive",
    "register_frule",
    "register_rrule",
    "rrule",
    "rrule_via_ad",
    "value_and_grad",
    "vjp",
    "with_fields",
]
