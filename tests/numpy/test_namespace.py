"""zymo.numpy, zymo.numpy.linalg and zymo.numpy.fft: NumPy's names, no internals, NumPy's results on plain arrays."""

import inspect
import types

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo.testing import check_grads

NAMESPACES = [(np, znp), (np.linalg, znp.linalg), (np.fft, znp.fft)]
ZYMO_ADDITIONS = {"logsumexp"}
INTERNALS = {"Tracer", "Primitive", "implements", "bottom", "unbroadcast", "shape_of", "dtype_of", "zeros_for", "np"}


def _public(names):
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize(("numpy_ns", "zymo_ns"), NAMESPACES, ids=["numpy", "linalg", "fft"])
def test_every_public_numpy_name_is_present(numpy_ns, zymo_ns):
    missing = [n for n in numpy_ns.__all__ if not hasattr(zymo_ns, n)]
    assert missing == []


@pytest.mark.parametrize(("numpy_ns", "zymo_ns"), NAMESPACES, ids=["numpy", "linalg", "fft"])
def test_dir_lists_numpy_names_and_zymo_additions_only(numpy_ns, zymo_ns):
    extra = _public(dir(zymo_ns)) - _public(dir(numpy_ns)) - ZYMO_ADDITIONS
    assert extra == set()


@pytest.mark.parametrize("zymo_ns", [znp, znp.linalg, znp.fft], ids=["numpy", "linalg", "fft"])
def test_no_rule_internals_leak(zymo_ns):
    public = _public(dir(zymo_ns))
    assert [n for n in public if n.endswith("_p")] == []
    assert public & INTERNALS == set()


def test_linalg_and_fft_exports_are_exactly_numpys_all():
    assert znp.linalg.__all__ == list(np.linalg.__all__)
    assert znp.fft.__all__ == list(np.fft.__all__)


def test_submodules_are_zymos_namespaces():
    assert znp.linalg.__name__ == "zymo.numpy.linalg"
    assert znp.fft.__name__ == "zymo.numpy.fft"


def test_shape_is_numpys_function_not_the_rule_module():
    assert not isinstance(znp.shape, types.ModuleType)
    assert znp.shape(np.zeros((2, 3))) == (2, 3)


@pytest.mark.parametrize(
    ("name", "fn"),
    [(n, getattr(znp.linalg, n)) for n in znp.linalg.__all__ if callable(getattr(znp.linalg, n))]
    + [(n, getattr(znp.fft, n)) for n in znp.fft.__all__],
)
def test_linalg_and_fft_functions_keep_numpys_name(name, fn):
    assert fn.__name__ == name


def test_zymo_versions_are_exported_where_rules_exist():
    assert znp.linalg.inv is not np.linalg.inv
    assert znp.linalg.eigh is not np.linalg.eigh
    assert znp.fft.rfft is not np.fft.rfft
    assert znp.fft.hfft is not np.fft.hfft
    assert znp.bmat is np.bmat  # no rule: NumPy's, reaching zymo's error on traced values


def test_function_without_rule_raises_zymos_error_on_traced_values():
    with pytest.raises(zymo.ZymoError, match="bmat"):
        zymo.grad(lambda x: znp.bmat([[x]]).sum())(np.ones((2, 2)))


_A = np.array([[2.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 4.0]])
_B = np.arange(24.0).reshape(2, 3, 4) / 7.0
_V = np.array([0.3, -1.2, 2.5])
_F32 = np.array([1.5, -0.5, 2.0], dtype=np.float32)

SAME_AS_NUMPY = [
    ("sum", (_B,), {"axis": 1}),
    ("mean", (_F32,), {}),
    ("var", (_B,), {"axis": (0, 2)}),
    ("cumsum", (_B,), {"axis": -1}),
    ("max", (_B,), {"axis": 0}),
    ("reshape", (_B, (4, 6)), {}),
    ("transpose", (_B,), {}),
    ("concatenate", ([_A, _A],), {"axis": 1}),
    ("stack", ([_V, _V],), {}),
    ("pad", (_V, 2), {}),
    ("flip", (_B,), {"axis": 1}),
    ("roll", (_B, 2), {}),
    ("sort", (_V,), {}),
    ("where", (_V > 0, _V, 0.0), {}),
    ("clip", (_V, -1.0, 1.0), {}),
    ("tanh", (_F32,), {}),
    ("exp", (_B,), {}),
    ("matmul", (_A, _A), {}),
    ("dot", (_A, _V), {}),
    ("einsum", ("ij,j->i", _A, _V), {}),
    ("outer", (_V, _V), {}),
    ("trace", (_B,), {}),
    ("diag", (_V,), {}),
    ("zeros", ((2, 3),), {}),
    ("ones_like", (_F32,), {}),
    ("array", ([[1, 2], [3, 4]],), {}),
    ("asarray", (_F32,), {}),
    ("linspace", (0.0, 1.0, 5), {}),
    ("take", (_V, [2, 0]), {}),
    ("logaddexp", (_V, _V), {}),
]
SAME_AS_NUMPY_LINALG = [
    ("inv", (_A,), {}),
    ("det", (_A,), {}),
    ("solve", (_A, _V), {}),
    ("norm", (_B,), {"axis": -1}),
    ("cholesky", (_A,), {}),
    ("eigvalsh", (_A,), {}),
    ("pinv", (_A,), {}),
    ("diagonal", (_B,), {}),
    ("trace", (_B,), {}),
    ("vecdot", (_B, _B), {}),
    ("matrix_norm", (_A,), {}),
    ("outer", (_V, _V), {}),
    ("cross", (_V, _A), {}),
    ("matmul", (_B, _B.swapaxes(1, 2)), {}),
    ("tensordot", (_B, _B[0]), {"axes": 2}),
]
SAME_AS_NUMPY_FFT = [
    ("fft", (_V,), {}),
    ("rfft", (_B,), {"axis": 1}),
    ("irfft", (np.fft.rfft(_V),), {"n": 3}),
    ("fftn", (_B,), {}),
    ("fftshift", (_B,), {}),
    ("fftfreq", (8,), {}),
]


def _assert_same(got, expected):
    assert type(got) is type(expected)
    if isinstance(expected, tuple):
        for g, e in zip(got, expected, strict=True):
            _assert_same(g, e)
        return
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected, strict=True)


@pytest.mark.parametrize(
    ("zymo_ns", "numpy_ns", "name", "args", "kwargs"),
    [(znp, np, *c) for c in SAME_AS_NUMPY]
    + [(znp.linalg, np.linalg, *c) for c in SAME_AS_NUMPY_LINALG]
    + [(znp.fft, np.fft, *c) for c in SAME_AS_NUMPY_FFT],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_plain_arrays_give_exactly_numpys_result(zymo_ns, numpy_ns, name, args, kwargs):
    _assert_same(getattr(zymo_ns, name)(*args, **kwargs), getattr(numpy_ns, name)(*args, **kwargs))


MULTI_OUTPUT = [
    ("atleast_1d", (1.0, _V)),
    ("atleast_2d", (_V, _A)),
    ("atleast_3d", (_V, _A)),
    ("broadcast_arrays", (_V, _A)),
    ("meshgrid", (_V, _V)),
    ("split", (_V, 3)),
    ("array_split", (_V, 2)),
    ("hsplit", (_A, 3)),
    ("unstack", (_A,)),
    ("gradient", (_A,)),
]


@pytest.mark.parametrize(("name", "args"), MULTI_OUTPUT, ids=[c[0] for c in MULTI_OUTPUT])
def test_several_outputs_come_in_numpys_container(name, args):
    got, expected = getattr(znp, name)(*args), getattr(np, name)(*args)
    assert type(got) is type(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        _assert_same(g, e)


def test_eigh_on_plain_arrays_gives_numpys_result():
    got, expected = znp.linalg.eigh(_A), np.linalg.eigh(_A)
    np.testing.assert_array_equal(got.eigenvalues, expected.eigenvalues)
    np.testing.assert_array_equal(got.eigenvectors, expected.eigenvectors)


def _zymo_functions():
    for label, ns in (("numpy", znp), ("linalg", znp.linalg), ("fft", znp.fft)):
        for name in sorted(_public(dir(ns))):
            obj = getattr(ns, name)
            if callable(obj) and not inspect.isclass(obj) and getattr(obj, "__module__", "").startswith("zymo."):
                yield pytest.param(obj, id=f"{label}.{name}")


@pytest.mark.parametrize("fn", list(_zymo_functions()))
def test_public_function_has_docstring_with_example(fn):
    assert ">>>" in (fn.__doc__ or "")


@pytest.mark.parametrize("fn", list(_zymo_functions()))
def test_public_function_has_type_hints(fn):
    sig = inspect.signature(fn)
    unhinted = [p.name for p in sig.parameters.values() if p.annotation is inspect.Parameter.empty]
    assert unhinted == []
    assert sig.return_annotation is not inspect.Signature.empty


LINALG_SPELLINGS = [
    ("diagonal", lambda x: znp.linalg.diagonal(x, offset=1), (_B,)),
    ("trace", lambda x: znp.linalg.trace(x), (_B,)),
    ("vecdot", lambda x, y: znp.linalg.vecdot(x, y, axis=1), (_B, _B[::-1])),
    ("outer", lambda x, y: znp.linalg.outer(x, y), (_V, _V[::-1])),
    ("cross", lambda x, y: znp.linalg.cross(x, y), (_V, _A)),
    ("matmul", lambda x, y: znp.linalg.matmul(x, y), (_B, _B.swapaxes(1, 2))),
    ("tensordot", lambda x, y: znp.linalg.tensordot(x, y, axes=2), (_B, _B[0])),
]


@pytest.mark.parametrize(("name", "f", "args"), LINALG_SPELLINGS, ids=[c[0] for c in LINALG_SPELLINGS])
def test_linalg_spellings_of_products_differentiate_in_both_modes(name, f, args):
    check_grads(f, args, order=2, modes=("fwd", "rev"))
