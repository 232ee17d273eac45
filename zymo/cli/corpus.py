"""The text of ``python -m zymo train --task chars``: Python's own standard-library sources, as character ids.

Training text is a fixed list of standard-library modules present in every
CPython 3.11 and later; the held-out text is another, disjoint list. Their
contents differ a little between Python versions, so figures are quoted with
the Python version they were measured on.

The vocabulary is fixed: tab, newline, the 95 printable ASCII characters, and
one id (0) for anything else (rare in these files).
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np

from ..core.errors import ZymoError

__all__ = ["TRAINING_FILES", "HELD_OUT_FILES", "VOCABULARY", "UNKNOWN", "read_corpus", "encode", "decode"]

TRAINING_FILES = (
    "argparse.py", "ast.py", "calendar.py", "configparser.py", "contextlib.py", "csv.py", "dataclasses.py",
    "difflib.py", "enum.py", "fractions.py", "functools.py", "gettext.py", "heapq.py", "inspect.py",
    "ipaddress.py", "logging/__init__.py", "os.py", "pprint.py", "random.py", "shlex.py", "shutil.py",
    "statistics.py", "subprocess.py", "tarfile.py", "textwrap.py", "threading.py", "tokenize.py", "typing.py",
    "uuid.py", "weakref.py",
)  # fmt: skip
HELD_OUT_FILES = ("bisect.py", "fnmatch.py", "glob.py", "queue.py", "sched.py", "socketserver.py")

UNKNOWN = "\ufffd"
#: Character of each id: id 0 stands for every character outside the others.
VOCABULARY = UNKNOWN + "\t\n" + "".join(chr(c) for c in range(32, 127))
_IDS = np.zeros(128, np.int64)
for _i, _c in enumerate(VOCABULARY[1:], start=1):
    _IDS[ord(_c)] = _i


def standard_library() -> Path:
    """The folder of the running Python's standard library."""
    return Path(sysconfig.get_path("stdlib"))


def read_corpus(files: tuple[str, ...], root: Path | None = None) -> str:
    """The files' texts joined by blank lines; a missing file is an error naming it and the folder searched."""
    root = standard_library() if root is None else root
    missing = [name for name in files if not (root / name).is_file()]
    if missing:
        raise ZymoError(
            f"the chars task reads Python's standard-library sources, but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing from {root}; it needs a complete CPython 3.11+ "
            "install (some distributions strip the .py sources into a separate package)"
        )
    return "\n\n".join((root / name).read_text(encoding="utf-8") for name in files)


def encode(text: str) -> np.ndarray:
    """Character ids of ``text`` (``int64``); characters outside the vocabulary become id 0.

    Example:
        >>> decode(encode("def f():\\n\\tpass é"))
        'def f():\\n\\tpass \ufffd'
    """
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    ids = np.zeros(len(codes), np.int64)
    ascii_ = codes < 128
    ids[ascii_] = _IDS[codes[ascii_]]
    return ids


def decode(ids) -> str:
    """The text of character ids."""
    return "".join(VOCABULARY[int(i)] for i in np.asarray(ids).ravel())


def windows(ids: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-character targets ``(n, length)`` from consecutive windows of ``ids``.

    Window ``k`` reads ``ids[k*length : (k+1)*length]`` and predicts the character after each, so every
    character but the first is a target exactly once (the tail shorter than a window is dropped).

    Example:
        >>> x, y = windows(np.arange(8), 3)
        >>> x.tolist(), y.tolist()
        ([[0, 1, 2], [3, 4, 5]], [[1, 2, 3], [4, 5, 6]])
    """
    n = (len(ids) - 1) // length
    if n < 1:
        raise ZymoError(f"a text of {len(ids)} characters holds no window of {length} characters plus a target")
    x = ids[: n * length].reshape(n, length)
    y = ids[1 : n * length + 1].reshape(n, length)
    return x, y
