"""zymo.mixed_namespaces: which mixes of arrays SciPy's array_namespace hears zymo.numpy for."""

import sys
import types

import array_api_strict as xp
import numpy as np

import zymo
import zymo.numpy as znp
from zymo import mixed_namespaces
from zymo.mixed_namespaces import namespace_of_mix


def _answers(*others):
    seen = []
    zymo.grad(lambda x: seen.append(namespace_of_mix((x, *others))) or x.sum())(np.zeros(2))
    return seen[0]


def test_a_traced_value_beside_numpy_arrays_and_numbers_is_zymo_numpy():
    assert _answers(np.ones(2), np.float64(1.0), 3, 2.5, None, True) is znp
    assert _answers() is znp


def test_anything_else_is_left_to_scipy():
    assert namespace_of_mix((np.ones(2), 1.0)) is None  # nothing traced
    assert _answers([1.0, 2.0]) is None  # an array-like SciPy converts itself
    assert _answers(xp.asarray([1.0, 2.0])) is None  # a third library's array


def test_install_puts_the_answer_in_front_of_the_compat_modules_function_once(monkeypatch):
    calls = []
    fake = types.ModuleType("fake_compat")
    fake.array_namespace = lambda *xs, **kw: calls.append(xs) or "scipy's answer"
    monkeypatch.setitem(sys.modules, mixed_namespaces._COMPAT_MODULE, fake)
    monkeypatch.setattr(mixed_namespaces, "_installed", False)
    mixed_namespaces.install()
    wrapped = fake.array_namespace
    mixed_namespaces.install()
    assert fake.array_namespace is wrapped  # not wrapped twice
    assert fake.array_namespace(np.ones(2)) == "scipy's answer" and len(calls) == 1
    seen = []
    zymo.grad(lambda x: seen.append(fake.array_namespace(x, np.ones(2))) or x.sum())(np.zeros(2))
    assert seen == [znp] and len(calls) == 1
