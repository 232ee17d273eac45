"""Long differential-testing runs: ``python -m tests.reliability.fuzz --programs 100000 --jit 20000``.

Random programs from ``programs.py`` are drawn with fresh random choices (no example
database, so no old failure is replayed first) and checked as the test suite checks them:
traced values against plain NumPy bit for bit, gradients against finite differences in
both modes and to second order, float32, NaN and infinite inputs; ``--jit`` more programs
are replayed by ``zymo.jit`` against ``value_and_grad``. Every finding is sorted into

- ``wrong``: a value or gradient that differs (an ``AssertionError`` of the checks),
- ``crash``: an exception that is not zymo's own (``TypeError``, ``IndexError``, ...),
- ``loud``: zymo's own error (``ZymoError`` and its kinds) or warning, refusing a program,

counted by kind. A check that runs longer than ``--program-seconds`` is stopped and counted as a
``crash: hang``; a process stuck in compiled code (where no Python signal handler runs) prints the
stacks of its threads every ``--program-seconds * 5`` seconds, so a stalled run shows where it stands.

The first program of each kind is shrunk (statements are removed while the
same kind of finding remains) and printed as Python source with its inputs. The exit status
is 1 when anything was wrong or crashed, 0 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import faulthandler
import os
import re
import signal
import sys
import time
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition

import zymo

from .differential import check_float32, check_nonfinite, check_program, check_second_order, with_nonfinite
from .programs import Program, compile_program, programs
from .test_jit_programs import _check_jit

SEVERE = ("wrong", "crash")
CHUNK = 500  # programs per hypothesis run; a chunk's seed is derived from the run's seed and its number
KEEP_PER_KIND = 50  # findings of one kind kept for ``--findings``


@dataclass
class Finding:
    """One program that failed a check, and how."""

    kind: str  # "wrong: ...", "crash: ...", "loud: ..."
    mode: str  # "program" (NumPy and finite differences) or "jit" (replay against tracing)
    source: str
    inputs: tuple
    message: str


@dataclass
class Tally:
    """What a run (or a chunk of it) checked and found."""

    programs: int = 0
    jit: int = 0
    restarts: int = 0  # hypothesis runs ended early because the generator drew differently on a replay
    kinds: Counter = field(default_factory=Counter)
    first: dict = field(default_factory=dict)  # kind -> the first Finding of that kind
    found: list = field(default_factory=list)  # every Finding, up to KEEP_PER_KIND of each kind

    def add(self, other: Tally) -> None:
        self.programs += other.programs
        self.jit += other.jit
        self.restarts += other.restarts
        self.kinds.update(other.kinds)
        for k, f in other.first.items():
            self.first.setdefault(k, f)
        for f in other.found:
            self.keep(f)

    def keep(self, finding: Finding) -> None:
        if sum(f.kind == finding.kind for f in self.found) < KEEP_PER_KIND:
            self.found.append(finding)

    def severe(self) -> int:
        return sum(n for k, n in self.kinds.items() if k.startswith(SEVERE))


# --- checking and classifying one program -----------------------------------------------------
def _check_numpy(function, inputs, nonfinite_seed: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_program(function, inputs)
        check_second_order(function, inputs)
        check_float32(function, inputs)
    check_nonfinite(function, with_nonfinite(inputs, nonfinite_seed))


class _JitProgram:
    def __init__(self, source: str, inputs: tuple):
        self._source, self.inputs = source, inputs

    def function(self):
        return compile_program(self._source)


def _check_jit_program(source: str, inputs: tuple) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow in moved inputs: both sides see it
        _check_jit(_JitProgram(source, inputs))


def _wrong_kind(message: str) -> str:
    if "zymo.jit call" in message:
        return "wrong: jit replay differs from tracing"
    if "memory layout" in message:
        return "wrong: memory layout differs from NumPy"
    if "register" in message or "an input after" in message:
        return "wrong: value differs from NumPy"
    return "wrong: gradient"


def classify(exc: BaseException) -> str:
    """The kind of finding an exception raised by a check is."""
    if isinstance(exc, AssertionError):
        return _wrong_kind(str(exc))
    if isinstance(exc, (zymo.ZymoError, zymo.ZymoWarning)):
        first = str(exc).split("\n", 1)[0]
        first = re.sub(r"<generated program>:\d+|\d+", "#", first)[:90]
        return f"loud: {type(exc).__name__}: {first}"
    tb = exc.__traceback__
    where = ""
    while tb is not None:  # the innermost frame inside zymo names the place
        fn = tb.tb_frame.f_code.co_filename
        if f"{os.sep}zymo{os.sep}" in fn:
            where = f" in {os.path.basename(fn)}:{tb.tb_frame.f_code.co_name}"
        tb = tb.tb_next
    return f"crash: {type(exc).__name__}{where}"


class ProgramTimeout(Exception):
    """A check ran longer than its time limit."""


def _alarm(signum, frame):
    raise ProgramTimeout()


class _TimeLimit:
    """Raise ``ProgramTimeout`` in the checking code after ``seconds`` (0: no limit)."""

    seconds = 0.0

    def __enter__(self):
        if self.seconds > 0:
            signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        if self.seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)


_time_limit = _TimeLimit()


def _run_check(mode: str, source: str, inputs: tuple, nonfinite_seed: int = 0) -> str | None:
    """The kind of what checking ``source`` at ``inputs`` finds, or None when it passes."""
    try:
        with _time_limit:
            if mode == "jit":
                _check_jit_program(source, inputs)
            else:
                _check_numpy(compile_program(source), inputs, nonfinite_seed)
    except KeyboardInterrupt:
        raise
    except ProgramTimeout:
        return f"crash: hang (a check ran over {_time_limit.seconds:g} s)"
    except BaseException as exc:  # noqa: BLE001 - every exception is a finding to sort
        return classify(exc)
    return None


def _message(mode, source, inputs, nonfinite_seed) -> str:
    try:
        if mode == "jit":
            _check_jit_program(source, inputs)
        else:
            _check_numpy(compile_program(source), inputs, nonfinite_seed)
    except BaseException as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"[:2000]
    return ""


# --- one chunk: a hypothesis run that records instead of failing -----------------------------
def run_chunk(chunk_seed: int, n: int, mode: str, max_ops: int, program_seconds: float = 0.0) -> Tally:
    """Check ``n`` random programs in ``mode``; never raises for a finding."""
    tally = Tally()
    _time_limit.seconds = program_seconds
    if program_seconds > 0:
        try:
            faulthandler.dump_traceback_later(5 * program_seconds, repeat=True, file=sys.__stderr__)
        except (ValueError, OSError, AttributeError):  # no file descriptor to write to (a captured stream)
            pass

    def check(prog: Program, nonfinite_seed: int) -> None:
        if tally.programs + tally.jit >= n:
            return
        if mode == "jit":
            tally.jit += 1
        else:
            tally.programs += 1
        source = prog.source()
        kind = _run_check(mode, source, prog.inputs, nonfinite_seed)
        if kind is not None:
            tally.kinds[kind] += 1
            if kind not in tally.first or tally.kinds[kind] <= KEEP_PER_KIND:
                hang = kind.startswith("crash: hang")
                message = kind if hang else _message(mode, source, prog.inputs, nonfinite_seed)
                finding = Finding(kind, mode, source, prog.inputs, message)
                tally.first.setdefault(kind, finding)
                tally.keep(finding)

    for attempt in range(20):
        run_seed = chunk_seed + 7919 * attempt
        hypothesis_run = hypothesis_seed(run_seed)(
            settings(
                database=None,
                max_examples=n,
                derandomize=False,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )(given(programs(max_ops=max_ops), st.integers(0, 2**16))(check))
        )
        try:
            hypothesis_run()
        except FlakyStrategyDefinition:  # the generator drew differently on a replay: go on with a new seed
            tally.restarts += 1
        if tally.programs + tally.jit >= n:
            break
    faulthandler.cancel_dump_traceback_later()
    return tally


# --- shrinking: delta debugging over the program's statements -------------------------------
def _assigned(stmt: ast.stmt) -> set:
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _assemble(fn: ast.FunctionDef, body: list, returned: list) -> str:
    defined = {a.arg for a in fn.args.args}
    for s in body:
        defined |= _assigned(s)
    names = [r for r in returned if r in defined]
    lines = [f"def program({', '.join(a.arg for a in fn.args.args)}):"]
    for s in body:
        lines += ["    " + ln for ln in ast.unparse(s).split("\n")]
    lines.append(f"    return [{', '.join(names)}]")
    return "\n".join(lines) + "\n"


def shrink(finding: Finding, budget_s: float = 120.0) -> str:
    """The smallest program found (by removing statements and returned registers) with the same kind."""
    fn = ast.parse(finding.source).body[0]
    body = list(fn.body[:-1])
    returned = [e.id for e in fn.body[-1].value.elts]
    deadline = time.monotonic() + budget_s

    def same(b, r) -> bool:
        return _run_check(finding.mode, _assemble(fn, b, r), finding.inputs) == finding.kind

    if not same(body, returned):  # the non-finite seed is not kept: the kind may need it
        return finding.source
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        for i in reversed(range(len(body))):
            if i < len(body) and same(body[:i] + body[i + 1 :], returned):
                body = body[:i] + body[i + 1 :]
                changed = True
        for i in reversed(range(len(returned))):
            if len(returned) > 1 and same(body, returned[:i] + returned[i + 1 :]):
                returned = returned[:i] + returned[i + 1 :]
                changed = True
    return _assemble(fn, body, returned)


def _inputs_repr(inputs: tuple) -> str:
    vals = ", ".join(repr(x) if type(x) is float else f"np.array({x.tolist()!r})" for x in inputs)
    return f"inputs = ({vals},)"


# --- the command ---------------------------------------------------------------------------------
def _chunks(total: int, mode: str, seed: int, max_ops: int, program_seconds: float) -> list:
    out, k = [], 0
    while total > 0:
        n = min(CHUNK, total)
        out.append((seed * 1_000_003 + k * 2 + (mode == "jit"), n, mode, max_ops, program_seconds))
        total -= n
        k += 1
    return out


def run(
    programs_n: int,
    jit_n: int,
    seed: int,
    workers: int,
    max_ops: int,
    out=None,
    program_seconds: float = 0.0,
    findings: str | None = None,
) -> Tally:
    """Check ``programs_n`` programs against NumPy and ``jit_n`` through ``zymo.jit``; report as it goes.

    With ``findings``, every finding so far is written to that file after each chunk.
    """
    out = out or sys.stdout
    tasks = _chunks(programs_n, "program", seed, max_ops, program_seconds)
    tasks += _chunks(jit_n, "jit", seed, max_ops, program_seconds)
    tally = Tally()
    start = time.monotonic()

    def progress(part: Tally) -> None:
        tally.add(part)
        print(
            f"[{time.monotonic() - start:7.0f} s] {tally.programs} programs, {tally.jit} jit replays, "
            f"{tally.severe()} wrong or crashed, {sum(tally.kinds.values())} findings",
            file=out,
            flush=True,
        )
        if findings and part.found:
            write_findings(tally, findings)

    if workers <= 1:
        for t in tasks:
            progress(run_chunk(*t))
    else:
        with ProcessPoolExecutor(workers) as pool:
            for part in pool.map(run_chunk, *zip(*tasks)):
                progress(part)
    return tally


def report(tally: Tally, out=None, shrink_budget_s: float = 120.0) -> None:
    out = out or sys.stdout
    print(f"\nchecked {tally.programs} programs against NumPy and {tally.jit} through zymo.jit", file=out)
    if tally.restarts:
        print(f"(the generator was restarted {tally.restarts} times after drawing differently on a replay)", file=out)
    for group in ("wrong", "crash", "loud"):
        n = sum(v for k, v in tally.kinds.items() if k.startswith(group))
        print(f"{group}: {n}", file=out)
        for kind, count in sorted(tally.kinds.items(), key=lambda kv: -kv[1]):
            if kind.startswith(group):
                print(f"  {count:6d}  {kind[len(group) + 2 :]}", file=out)
    for kind, f in tally.first.items():
        print(f"\n--- {kind} ({f.mode}), shrunk:", file=out)
        print(shrink(f, shrink_budget_s) + _inputs_repr(f.inputs), file=out)
        print(f"first seen as: {f.message[:600]}", file=out)


def write_findings(tally: Tally, path: str) -> None:
    """Every kept finding, as Python source with its inputs and first message, written atomically."""
    parts = []
    for f in sorted(tally.found, key=lambda f: f.kind):
        parts.append(f"# --- {f.kind} ({f.mode})\n{f.source}{_inputs_repr(f.inputs)}\n# {f.message[:400]!r}\n")
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write("\n".join(parts))
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--programs", type=int, default=1000, help="programs checked against NumPy")
    parser.add_argument("--jit", type=int, default=200, help="programs replayed by zymo.jit")
    parser.add_argument("--seed", type=int, default=None, help="the run's seed (default: from the clock)")
    parser.add_argument("--workers", type=int, default=1, help="processes checking chunks in parallel")
    parser.add_argument("--max-ops", type=int, default=12, help="operations per program at most")
    parser.add_argument("--shrink-seconds", type=float, default=120.0, help="time to shrink each kind's program")
    parser.add_argument("--program-seconds", type=float, default=120.0, help="time limit of one check (0: none)")
    parser.add_argument("--findings", default=None, help="a file to write every finding to (up to 50 of a kind)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time()) % 1_000_000
    print(f"seed {seed}", flush=True)
    tally = run(
        args.programs,
        args.jit,
        seed,
        args.workers,
        args.max_ops,
        program_seconds=args.program_seconds,
        findings=args.findings,
    )
    if args.findings:
        write_findings(tally, args.findings)
    report(tally, shrink_budget_s=args.shrink_seconds)
    return 1 if tally.severe() else 0


if __name__ == "__main__":
    sys.exit(main())
