"""``zymo.cli.corpus``: the standard-library text of the chars task, as character ids."""

from __future__ import annotations

import numpy as np
import pytest

import zymo
from zymo.cli import corpus


def test_training_and_held_out_files_are_disjoint_and_present_in_this_python():
    assert not set(corpus.TRAINING_FILES) & set(corpus.HELD_OUT_FILES)
    assert all((corpus.standard_library() / name).is_file() for name in corpus.TRAINING_FILES + corpus.HELD_OUT_FILES)


def test_missing_file_is_an_error_naming_it_and_the_folder(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    with pytest.raises(zymo.ZymoError, match=f"b.py is missing from {tmp_path}"):
        corpus.read_corpus(("a.py", "b.py"), root=tmp_path)


def test_files_are_joined_by_a_blank_line(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    assert corpus.read_corpus(("a.py", "b.py"), root=tmp_path) == "x = 1\n\n\ny = 2\n"


def test_encoding_keeps_ascii_text_and_maps_other_characters_to_the_unknown_id():
    text = "def f(x):\n\treturn x ** 2  # ~ok"
    assert corpus.decode(corpus.encode(text)) == text
    assert corpus.encode("aé€😀").tolist()[1:] == [0, 0, 0] and len(corpus.VOCABULARY) == 98


def test_windows_predict_every_character_after_the_first_once():
    ids = np.arange(23)
    x, y = corpus.windows(ids, 5)
    assert x.shape == y.shape == (4, 5) and np.array_equal(y, x + 1)
    assert np.array_equal(y.ravel(), ids[1:21])


def test_a_text_shorter_than_one_window_is_an_error():
    with pytest.raises(zymo.ZymoError, match="no window of 5 characters"):
        corpus.windows(np.arange(5), 5)
