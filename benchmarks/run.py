"""Run a benchmark script in a fresh process with the OpenBLAS overrides removed from its environment.

    python -m benchmarks.run rnn_grad --cases style1 --threads 1
    python -m benchmarks.run overhead --json rows.json

Each script also re-executes itself without them when started directly
(``python benchmarks/rnn_grad.py``); this launcher is for callers that want the
clean environment from the first instruction, and lists the scripts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts() -> list[str]:
    """The benchmark scripts in this folder (names without ``.py``)."""
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_") and p.stem not in ("run", "compare"))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in scripts():
        raise SystemExit(f"usage: python -m benchmarks.run NAME [ARGS...]; NAME is one of: {', '.join(scripts())}")
    sys.path.insert(0, str(HERE.parent))
    from benchmarks._launch import clean_environment

    script = HERE / f"{argv[0]}.py"
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, str(script), *argv[1:]], clean_environment(os.environ))


if __name__ == "__main__":
    main()
