"""fields(): the differentiable internal fields of callables, and rebuilding them.

Pins down which values count as fields for each kind of callable (closure cells by name,
dataclass and object attributes, partial arguments, a bound method's object, nested
containers), that rebuilding never mutates the original, and that the rebuilt callable
computes with the new values (the oracle is the callable written out by hand).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

import symrules as sr
from symrules.engine.fields import children, leaves, path_name, replace_leaves


def make_closure(p, n, name):
    def f(x):
        return n * (p[0] * x + p[1]) if name else x

    return f


@dataclass(frozen=True)
class Layer:
    W: np.ndarray
    b: float
    label: str = "dense"

    def __call__(self, x):
        return self.W @ x + self.b

    def shifted(self, x):
        return self(x) + 1.0


class Pair(NamedTuple):
    lo: float
    hi: float


def test_closure_fields_are_cells_by_name_floats_only():
    f = make_closure(np.array([2.0, 1.0]), 3, "line")
    assert list(sr.fields(f)) == ["p"]
    assert set(children(f)) == {"p", "n", "name"}


def test_dataclass_and_bound_method_fields():
    layer = Layer(np.eye(2), 0.5)
    assert list(sr.fields(layer)) == ["W", "b"]
    assert list(sr.fields(layer.shifted)) == ["W", "b"]


def test_partial_fields_are_args_and_keywords():
    part = functools.partial(lambda x, a, b: a * x + b, 2.0, b=1.0)
    assert sr.fields(part) == {"args": (2.0,), "keywords": {"b": 1.0}}


def test_nested_containers_are_walked():
    f = make_closure({"w": (1.0, Pair(2.0, 3.0)), "k": 4}, 1, "")
    paths = [path for path, _ in leaves(f)]
    assert paths == [("p", "w", 0), ("p", "w", 1, 0), ("p", "w", 1, 1)]
    assert path_name(paths[1]) == "f.p.w[1][0]"


def test_with_fields_rebuilds_without_mutating():
    p = np.array([2.0, 1.0])
    f = make_closure(p, 1, "line")
    g = sr.with_fields(f, p=np.array([3.0, 0.5]))
    assert f(2.0) == 5.0 and g(2.0) == 6.5
    np.testing.assert_array_equal(p, [2.0, 1.0])


def test_replace_leaves_in_dataclass_bound_method_and_namedtuple():
    layer = Layer(np.eye(2), 0.5)
    new = replace_leaves(layer.shifted, {("b",): 2.0})
    np.testing.assert_allclose(new(np.ones(2)), [4.0, 4.0])
    assert layer.b == 0.5
    f = make_closure(Pair(1.0, 2.0), 1, "")
    g = replace_leaves(f, {("p", 1): 5.0})
    assert children(g)["p"] == Pair(1.0, 5.0)


def test_fields_of_object_without_fields_is_an_error():
    with pytest.raises(sr.FieldsError, match="has no fields"):
        sr.fields(3.0)
    with pytest.raises(sr.FieldsError, match="ufunc has no fields"):
        sr.fields(np.sin)
    with pytest.raises(sr.FieldsError, match=r"no differentiable fields \(it holds n: int"):
        sr.fields((lambda n: lambda x: n * x)(3))


def test_replacing_an_unknown_field_is_an_error():
    message = r"make_closure.<locals>.f has no field 'q'; its fields are \['n', 'name', 'p'\]"
    with pytest.raises(sr.FieldsError, match=message):
        sr.with_fields(make_closure(np.ones(2), 1, "a"), q=1.0)
