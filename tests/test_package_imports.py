"""Every module of the package imports on its own, in a fresh interpreter (no hidden import-order dependency)."""

import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).parents[1] / "zymo"

# Imports each module named on the command line in a forked child of a process that has loaded only
# third-party libraries, a few children at a time; a missing optional dependency skips its module.
RUNNER = r"""
import importlib, os, sys, traceback
import numpy, optree  # third-party, shared by every child to keep the check fast

failed, running = [], {}
names = sys.argv[1:]

def reap():
    pid, status = os.wait()
    if os.waitstatus_to_exitcode(status) != 0:
        failed.append(running[pid])
    del running[pid]

for name in names:
    if len(running) >= 4:
        reap()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name is None or e.name.split(".")[0] == "zymo":
                traceback.print_exc()
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stderr.flush()
        os._exit(code)
    running[pid] = name
while running:
    reap()
print("failed:", sorted(failed))
sys.exit(1 if failed else 0)
"""


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_imports_alone_in_a_fresh_interpreter():
    names = _modules()
    assert "zymo.core.api" in names and "zymo._rules.helpers" in names
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, *names],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
