"""The walker over a pytree's arrays by path: names, order, tied arrays, trainability, any kind of container."""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np
import optree

import zymo
from zymo import nn
from zymo.pytree_paths import arrays_by_path, distinct_arrays, trainable_mask


def _paths(tree) -> list[str]:
    return [e.path for e in arrays_by_path(tree)]


class Block(nn.Module):
    def __init__(self):
        self.weight = np.ones((2, 2))
        self.bias = np.zeros(2)
        self.size = 2

    def __call__(self, x):
        return x @ self.weight + self.bias


def test_module_fields_and_list_items_are_written_as_attributes_and_indices():
    model = nn.Chain(nn.Dense(3, 4, rng=np.random.default_rng(0)), nn.Dense(4, 1, rng=np.random.default_rng(0)))
    assert _paths(model) == ["layers[0].weight", "layers[0].bias", "layers[1].weight", "layers[1].bias"]


def test_dict_keys_are_written_with_repr_in_insertion_order():
    assert _paths({"b": np.ones(1), "a": np.ones(1), 3: np.ones(1)}) == ["['b']", "['a']", "[3]"]


def test_insertion_order_holds_in_nested_dicts_below_a_module():
    class Heads(nn.Module):
        def __init__(self):
            self.z = {"y": np.ones(1), "x": [np.ones(1), {"q": np.ones(1), "p": np.ones(1)}]}
            self.a = np.ones(1)

    assert _paths(Heads()) == ["z['y']", "z['x'][0]", "z['x'][1]['q']", "z['x'][1]['p']", "a"]


def test_tuples_namedtuples_and_ordered_dicts_are_walked():
    Point = namedtuple("Point", "x y")
    tree = (np.ones(1), Point(np.ones(1), OrderedDict(k=np.ones(1))))
    assert _paths(tree) == ["[0]", "[1].x", "[1].y['k']"]


def test_registered_nodes_are_walked_with_their_keys():
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

    class Named:
        def __init__(self, w):
            self.w = w

    zymo.register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda aux, ch: Pair(*ch))
    zymo.register_pytree_node(
        Named, lambda n: ((n.w,), None, ("w",)), lambda aux, ch: Named(*ch), path_entry_type=optree.GetAttrEntry
    )
    assert _paths({"p": Pair(np.ones(1), [np.ones(1)]), "n": Named(np.ones(1))}) == [
        "['p'][0]",
        "['p'][1][0]",
        "['n'].w",
    ]


def test_leaves_that_are_not_arrays_are_passed_over():
    tree = {"a": None, "b": 3.0, "c": np.float64(1.0), "d": "text", "e": np.arange(2)}
    assert _paths(tree) == ["['e']"]


def test_a_top_level_array_has_the_empty_path():
    assert _paths(np.ones(2)) == [""]


def test_arrays_below_a_frozen_field_are_untrainable():
    model = nn.Chain(Block(), Block())
    model.layers[1].freeze("bias")
    flags = {e.path: e.trainable for e in arrays_by_path(model)}
    assert flags == {
        "layers[0].weight": True,
        "layers[0].bias": True,
        "layers[1].weight": True,
        "layers[1].bias": False,
    }


def test_freezing_a_module_freezes_every_array_below_it():
    class Outer(nn.Module):
        def __init__(self):
            self.inner = Block()
            self.head = np.ones(1)

    model = Outer().freeze("inner")
    assert [e.path for e in arrays_by_path(model) if e.trainable] == ["head"]


def test_leaf_index_is_the_arrays_position_among_all_leaves():
    tree = {"b": np.ones(1), "a": [None, np.ones(2)]}
    leaves = zymo.tree_leaves(tree)
    for e in arrays_by_path(tree):
        assert leaves[e.leaf] is e.array


def test_a_tied_array_is_listed_once_under_its_first_path():
    w = np.ones(2)
    tied = distinct_arrays(arrays_by_path({"b": w, "a": np.zeros(1), "c": [w]}))
    assert [t.paths for t in tied] == [("['b']", "['c'][0]"), ("['a']",)]
    assert tied[0].array is w and tied[0].path == "['b']"


def test_a_tied_array_is_trainable_if_any_of_its_places_is():
    class Tied(nn.Module):
        def __init__(self):
            self.a = Block()
            self.b = self.a.weight

    model = Tied().freeze("a")
    (weight, bias) = distinct_arrays(arrays_by_path(model))
    assert weight.paths == ("a.weight", "b") and weight.trainable
    assert bias.paths == ("a.bias",) and not bias.trainable


def test_trainable_mask_has_the_structure_of_a_module():
    model = nn.Chain(Block(), Block())
    model.layers[0].freeze("weight")
    mask = trainable_mask(model)
    assert zymo.tree_flatten(mask)[1] == zymo.tree_flatten(model)[1]
    assert [bool(f) for f in zymo.tree_leaves(mask)] == [False, True, True, True]


def test_trainable_mask_marks_leaves_that_are_not_arrays_false():
    mask = trainable_mask({"w": np.ones(2), "n": 3, "none": None})
    assert (bool(mask["w"]), bool(mask["n"]), bool(mask["none"])) == (True, False, False)


def test_struct_sequences_and_dataclasses_are_walked_by_field_name():
    import dataclasses
    import time

    @dataclasses.dataclass
    class Params:
        w: np.ndarray
        b: np.ndarray

    optree.register_pytree_node(
        Params,
        lambda p: ((p.w, p.b), None, ("w", "b")),
        lambda aux, ch: Params(*ch),
        path_entry_type=optree.DataclassEntry,
        namespace="zymo",
    )
    stamp = time.struct_time((np.ones(1),) + (0,) * 8)
    assert _paths([stamp, Params(np.ones(1), np.ones(1))]) == ["[0].tm_year", "[1].w", "[1].b"]
