"""Optimisers on any pytree: which arrays are trained comes from a mask, as Optax's ``masked``."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import zymo
from zymo import nn, optim
from zymo.pytree_paths import trainable_mask


def _loss(m):
    return sum((a**2).sum() for a in zymo.tree_leaves(m) if isinstance(a, np.ndarray) or zymo.is_tracer(a))


def _step(state, model):
    optim.update(state, model, zymo.grad(_loss)(model))


def test_a_dict_pytree_with_a_mask_trains_only_the_masked_arrays():
    model = {"w": np.ones(2), "b": np.ones(2), "layers": [np.ones(1), np.ones(1)]}
    state = optim.setup(optim.Descent(0.25), model, mask={"w": True, "b": False, "layers": [False, True]})
    _step(state, model)
    assert sorted(state.slots) == sorted(["['w']", "['layers'][1]"])
    np.testing.assert_array_equal(model["w"], [0.5, 0.5])
    np.testing.assert_array_equal(model["b"], [1.0, 1.0])
    np.testing.assert_array_equal(model["layers"][0], [1.0])
    np.testing.assert_array_equal(model["layers"][1], [0.5])


def test_a_mask_may_be_a_prefix_of_the_model():
    model = {"enc": [np.ones(1), np.ones(1)], "dec": {"w": np.ones(1)}}
    state = optim.setup(optim.Descent(0.25), model, mask={"enc": False, "dec": True})
    _step(state, model)
    assert list(state.slots) == ["['dec']['w']"]
    np.testing.assert_array_equal(model["enc"][0], [1.0])


def test_a_mask_may_be_a_function_of_the_model():
    model = {"w": np.ones(2), "b": np.ones(1)}
    state = optim.setup(optim.Descent(0.5), model, mask=lambda m: {k: v.size > 1 for k, v in m.items()})
    _step(state, model)
    np.testing.assert_array_equal(model["w"], [0.0, 0.0])
    np.testing.assert_array_equal(model["b"], [1.0])


def test_a_module_mask_overrides_the_modules_frozen_fields():
    model = nn.Chain(nn.Dense(2, 2, rng=np.random.default_rng(0)))
    model.layers[0].freeze("bias")
    mask = trainable_mask(model)
    mask.layers[0].weight = np.array(False)
    mask.layers[0].bias = np.array(True)
    state = optim.setup(optim.Descent(0.1), model, mask=mask)
    assert list(state.slots) == ["layers[0].bias"]


def test_without_a_mask_a_modules_frozen_fields_are_left_alone():
    model = nn.Chain(nn.Dense(2, 2, rng=np.random.default_rng(0)))
    model.layers[0].freeze("bias")
    assert list(optim.setup(optim.Descent(0.1), model).slots) == ["layers[0].weight"]


def test_a_mask_that_does_not_fit_the_model_is_rejected():
    with pytest.raises(optim.OptimiserError, match="mask does not fit"):
        optim.setup(optim.Descent(0.1), {"w": np.ones(1)}, mask={"v": True})


def _imported_modules(path: Path, package: list[str]) -> set[str]:
    """Every module ``path`` imports, relative imports resolved against ``package``."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            out.add(module)
            out.update(f"{module}.{a.name}" for a in node.names)
    return out


def test_optimiser_modules_do_not_import_the_network_library():
    root = Path(optim.__file__).parent
    for path in sorted(root.glob("*.py")):
        imported = _imported_modules(path, ["zymo", "optim"])
        assert not any(m == "zymo.nn" or m.startswith("zymo.nn.") for m in imported), path.name


def test_the_path_walker_does_not_import_the_network_library():
    import zymo.pytree_paths

    imported = _imported_modules(Path(zymo.pytree_paths.__file__), ["zymo"])
    assert not any(m == "zymo.nn" or m.startswith("zymo.nn.") for m in imported)


def test_the_import_check_sees_a_relative_import_of_the_network_library(tmp_path):
    source = tmp_path / "example.py"
    source.write_text("from ..nn.module import Module\nfrom .. import nn\n")
    assert {"zymo.nn.module", "zymo.nn"} <= _imported_modules(source, ["zymo", "optim"])
