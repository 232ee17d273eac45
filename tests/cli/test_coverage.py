"""``python -m zymo coverage``: what it reports for supported, plain-value and unsupported functions."""

import functools

import numpy as np

import zymo
from zymo.__main__ import main
from zymo._rules.ufunc_methods import numpy_folds
from zymo.cli.coverage import _modes, coverage, primitives_used


@functools.cache
def _by_name():
    return {e.name: e for e in coverage()}


def test_elementwise_and_linalg_functions_have_rules_in_both_modes():
    entries = _by_name()
    for name in ("numpy.sin", "numpy.matmul", "numpy.concatenate", "numpy.linalg.inv", "numpy.sum"):
        e = entries[name]
        assert (e.status, e.reverse, e.forward, e.numpy_dispatch) == ("rules", True, True, True), name


def test_index_and_predicate_functions_have_no_derivative():
    entries = _by_name()
    for name in ("numpy.argmax", "numpy.isnan", "numpy.shape"):
        assert entries[name].status == "no derivative", name


def test_functions_taking_a_function_or_bins_first_are_listed_with_their_rules():
    entries = _by_name()
    for name in ("numpy.apply_along_axis", "numpy.fromfunction", "numpy.piecewise", "numpy.polyfit", "numpy.arange"):
        assert (entries[name].status, entries[name].reverse, entries[name].forward) == ("rules", True, True), name
    for name in ("numpy.unique", "numpy.union1d", "numpy.bincount", "numpy.histogram", "numpy.fft.fftfreq"):
        assert entries[name].status == "rules", name


def test_buffer_constructors_are_constants_without_derivative():
    assert _by_name()["numpy.zeros"].status == "no derivative"


def test_functions_without_implementation_are_unsupported():
    entries = _by_name()
    assert entries["numpy.fromfile"].status == "unsupported"
    assert not entries["numpy.fromfile"].reverse


def test_every_public_numpy_function_is_listed_once():
    names = list(_by_name())
    assert len(names) == len(coverage())
    assert len(names) == len(set(names))
    assert "numpy.fft.fft" in names and "numpy.linalg.svd" in names


def test_modes_of_a_primitive_with_only_a_reverse_rule():
    @zymo.primitive
    def twice(x):
        return 2 * x

    zymo.defvjp(twice, lambda g, ans, x: 2 * g)
    assert primitives_used(twice) == {twice}
    assert _modes(twice) == (True, False)


def test_primitives_used_follows_helper_functions():
    import zymo.numpy as znp

    prims = primitives_used(znp.copyto)
    assert "setitem" in {p.name for p in prims}


def test_cli_prints_a_table_with_both_modes(capsys):
    assert main(["coverage", "--filter", "linalg.inv"]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith("numpy.linalg.inv"))
    assert line.split()[1:4] == ["yes", "yes", "rules"]


def test_cli_status_option_keeps_only_that_status(capsys):
    assert main(["coverage", "--status", "unsupported", "--filter", "numpy.from"]) == 0
    rows = [r for r in capsys.readouterr().out.splitlines() if r.startswith("numpy.")]
    assert rows and all(r.endswith("unsupported") for r in rows)
    assert not any("yes" in r for r in rows)


def test_ufunc_methods_of_differentiable_ufuncs_are_listed_with_rules_in_both_modes():
    entries = _by_name()
    for name in ("numpy.add.at", "numpy.multiply.reduce", "numpy.maximum.accumulate", "numpy.add.reduceat"):
        e = entries[name]
        assert (e.status, e.reverse, e.forward, e.numpy_dispatch) == ("rules", True, True, True), name
    assert entries["numpy.negative.at"].status == "rules"  # a unary ufunc has only `at`
    assert "numpy.negative.reduce" not in entries


def test_ufunc_methods_without_derivative_or_rule_are_listed_as_such():
    entries = _by_name()
    assert entries["numpy.less.outer"].status == "no derivative"
    # NumPy's AVX-512 loop does not compute it as a fold: rules only where NumPy runs other loops
    assert entries["numpy.power.reduce"].status == ("rules" if numpy_folds(np.power, np.float64) else "unsupported")
    assert "numpy.matmul.reduce" not in entries  # generalized ufuncs have no methods in NumPy
    assert "numpy.ldexp.reduce" not in entries and entries["numpy.ldexp.at"].status == "rules"


def test_cli_lists_ufunc_methods(capsys):
    assert main(["coverage", "--filter", "numpy.add."]) == 0
    rows = {r.split()[0]: r.split()[1:] for r in capsys.readouterr().out.splitlines() if r.startswith("numpy.add.")}
    assert set(rows) == {f"numpy.add.{m}" for m in ("at", "reduce", "accumulate", "reduceat", "outer")}
    assert all(row == ["yes", "yes", "rules"] for row in rows.values())
