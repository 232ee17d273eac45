"""Before/after gate: the same benchmark rows timed for two versions of zymo, taking turns.

    python benchmarks/compare.py main .                  # the working tree against main, the quick row set
    python benchmarks/compare.py HEAD~1 HEAD --rows LSTM --rounds 9
    python benchmarks/compare.py main . --bench "rnn_layers --only small --kinds LSTM" --clock wall

OLD and NEW are git revisions, or ``.`` (also ``WORKTREE``) for the working
tree as it is, uncommitted changes included. Each revision is checked out
into a temporary git worktree (removed afterwards; the working tree is only
read). Both sides run this folder's benchmark scripts, so only ``zymo``
differs between them (``--own-harness``: each side's own ``benchmarks/``).

Each of the ``--rounds`` rounds starts, for every ``--bench`` invocation, a
fresh process per side (so what one process's memory layout happens to cost
lands in the spread, not in every round alike), pins both to one CPU (a
different one each round), waits while they build and call every row twice,
then times every row for about ``--sample`` seconds in one process and right
after in the other, ``--samples`` times, who goes first flipping each time:
the two sides' samples are a fraction of a second apart and see nearly the
same machine load. A sample's time is its fastest block of consecutive calls
(other work only ever adds time); a side's time in the round is its fastest
sample. A row is a regression only when the median over rounds of the ratio
new/old is above 1 + ``--threshold`` (5%) and the interquartile range of the
per-round ratios lies above 1 (1.0 is outside the spread); faster rows are
marked alike. The default clock is CPU time per call, which on a shared machine leaves
out the time the process waited for a core; with one thread it equals wall
time on an idle machine. ``--save-runs FILE`` keeps every sample,
``--from-runs FILE`` analyses saved samples again without timing anything.
Exits with status 1 when a row regressed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HARNESS = Path(__file__).resolve().parent
WORKTREE_NAMES = (".", "WORKTREE", "worktree")
SCRIPTS_WITH_ROWS = ("overhead", "rnn_grad", "rnn_layers", "layers")  # the scripts with --serve and --json
QUICK = (
    "overhead --engines zymo.jit",
    "rnn_grad --cases style1 style4 RNN LSTM GRU --sizes small middle --engines zymo.jit",
)
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


class CompareError(Exception):
    """A bad revision, benchmark spec or failed run, with a message meant for the user."""


@dataclasses.dataclass(frozen=True)
class Side:
    """One version to time: a commit, or the working tree (``commit is None``)."""

    label: str
    commit: str | None

    def describe(self) -> str:
        return "the working tree" if self.commit is None else f"{self.label} ({self.commit[:10]})"


@dataclasses.dataclass(frozen=True)
class BenchSpec:
    """A benchmark script and the arguments it runs with."""

    script: str
    args: tuple[str, ...]

    def text(self) -> str:
        return " ".join([self.script, *map(shlex.quote, self.args)])


@dataclasses.dataclass(frozen=True)
class Summary:
    """One row over all rounds: median times per side, and the median and range of the per-round ratios."""

    old: float
    new: float
    ratio: float
    low: float
    high: float


@dataclasses.dataclass(frozen=True)
class RowResult:
    name: str
    clock: Summary
    other_clock: Summary
    verdict: str


# --- pure logic -------------------------------------------------------------------------------------
def parse_side(text: str, resolve: Callable[[str], str]) -> Side:
    """``.``/``WORKTREE`` for the working tree, else a revision ``resolve`` turns into a commit hash."""
    if text in WORKTREE_NAMES:
        return Side(text, None)
    return Side(text, resolve(text))


def parse_bench(text: str, available: Sequence[str] = SCRIPTS_WITH_ROWS) -> BenchSpec:
    """``"rnn_grad --cases LSTM"`` -> the script ``rnn_grad`` with its arguments."""
    words = shlex.split(text)
    if not words:
        raise CompareError("--bench needs a script name")
    script = words[0].removesuffix(".py")
    if script not in available:
        raise CompareError(f"--bench {script!r}: choose one of {', '.join(available)} (the scripts with --serve)")
    for word in words[1:]:
        if word in ("--json", "--threads", "--serve") or word.startswith(("--json=", "--threads=")):
            raise CompareError(f"--bench {text!r}: {word.split('=')[0]} is set by compare.py")
    return BenchSpec(script, tuple(words[1:]))


def side_order(round_index: int) -> tuple[int, int]:
    """Which side runs first in a round: OLD first in even rounds, NEW first in odd ones."""
    return (0, 1) if round_index % 2 == 0 else (1, 0)


def summarize(old: Sequence[float], new: Sequence[float]) -> Summary:
    """Medians of each side and of the per-round ratios new/old, with the spread of the ratios.

    The spread is the interquartile range of the per-round ratios (from five
    rounds on; with fewer, the lowest and highest ratio).
    """
    if len(old) != len(new) or not old:
        raise ValueError("need the same number (at least one) of old and new times")
    ratios = [n / o for o, n in zip(old, new)]
    if len(ratios) >= 5:
        low, _, high = statistics.quantiles(ratios, n=4, method="inclusive")
    else:
        low, high = min(ratios), max(ratios)
    return Summary(statistics.median(old), statistics.median(new), statistics.median(ratios), low, high)


def verdict(summary: Summary, threshold: float) -> str:
    """``slower`` (a regression), ``faster`` or ``same``.

    Slower only when the median ratio is beyond ``1 + threshold`` and the
    whole spread lies above 1 (1.0 is outside it); faster alike.
    """
    if summary.ratio > 1 + threshold and summary.low > 1:
        return "slower"
    if summary.ratio < 1 - threshold and summary.high < 1:
        return "faster"
    return "same"


def compare_rows(
    runs: list[list[dict]], clock: str, threshold: float, pattern: str | None = None
) -> tuple[list[RowResult], list[str]]:
    """Row results from ``runs[side][round] = {row name: {"wall": s, "cpu": s}}``, and the rows missing on a side.

    ``pattern`` (a regular expression) keeps the rows whose name it matches.
    """
    other = "wall" if clock == "cpu" else "cpu"
    names = list(dict.fromkeys(name for rnd in runs[0] + runs[1] for name in rnd))
    if pattern:
        names = [n for n in names if re.search(pattern, n)]
    results, missing = [], []
    for name in names:
        if any(name not in rnd for side in runs for rnd in side):
            missing.append(name)
            continue
        old, new = ([rnd[name] for rnd in side] for side in runs)
        main = summarize([r[clock] for r in old], [r[clock] for r in new])
        second = summarize([r[other] for r in old], [r[other] for r in new])
        results.append(RowResult(name, main, second, verdict(main, threshold)))
    return results, missing


def report(results: list[RowResult], clock: str) -> str:
    """The comparison table."""
    other = "wall" if clock == "cpu" else "cpu"
    header = ["row", f"old {clock} ms", f"new {clock} ms", "new/old", "IQR", f"{other} new/old", "verdict"]
    rows = [
        [
            r.name,
            f"{r.clock.old * 1e3:.3f}",
            f"{r.clock.new * 1e3:.3f}",
            f"{r.clock.ratio:.3f}",
            f"{r.clock.low:.3f}-{r.clock.high:.3f}",
            f"{r.other_clock.ratio:.3f}",
            "REGRESSION" if r.verdict == "slower" else r.verdict,
        ]
        for r in results
    ]
    cells = [header] + rows
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = []
    for k, r in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- git and processes -------------------------------------------------------------------------------
def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise CompareError(f"git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def git_resolver(repo: Path) -> Callable[[str], str]:
    def resolve(rev: str) -> str:
        try:
            return git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        except CompareError:
            raise CompareError(f"{rev!r} is not a git revision of {repo} (use '.' for the working tree)") from None

    return resolve


def prepare(side: Side, name: str, repo: Path, tmp: Path, own_harness: bool) -> Path:
    """A directory holding ``zymo`` of ``side`` and the benchmark scripts to run for it."""
    root = tmp / name
    if side.commit is None:
        root.mkdir()
        (root / "zymo").symlink_to(repo / "zymo", target_is_directory=True)
        if own_harness:
            (root / "benchmarks").symlink_to(repo / "benchmarks", target_is_directory=True)
    else:
        git(repo, "worktree", "add", "--detach", str(root), side.commit)
    if not own_harness:
        shutil.rmtree(root / "benchmarks", ignore_errors=True)
        shutil.copytree(HARNESS, root / "benchmarks", ignore=shutil.ignore_patterns("__pycache__"))
    return root


class Server:
    """A benchmark script in ``--serve`` mode for the version under ``root``: times one row per request."""

    def __init__(self, root: Path, spec: BenchSpec, threads: int, log: Path):
        cmd = [sys.executable, str(root / "benchmarks" / f"{spec.script}.py"), *spec.args]
        cmd += ["--threads", str(threads), "--serve"]
        env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_OVERRIDES}
        self.spec, self.log = spec, log
        self._log_file = open(log, "w")
        self.root = root
        self.proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log_file, text=True
        )
        self.hello: dict = {}

    def wait_ready(self) -> None:
        """Read the process's description (it has built and called every row) and check where zymo came from."""
        self.hello = self._reply()
        if Path(self.hello["zymo_path"]) != self.root / "zymo":
            where = self.hello["zymo_path"]
            raise CompareError(f"{self.spec.text()} imported zymo from {where}, not from {self.root / 'zymo'}")

    def _reply(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self._log_file.flush()
            raise CompareError(f"{self.spec.text()} stopped:\n{self.log.read_text()[-4000:]}")
        return json.loads(line)

    def time(self, row: str, seconds: float) -> dict:
        """``{"wall": s, "cpu": s}`` per call of ``row``, over about ``seconds`` of calls."""
        self.proc.stdin.write(json.dumps({"row": row, "seconds": seconds}) + "\n")
        self.proc.stdin.flush()
        reply = self._reply()
        return {"wall": reply["wall"], "cpu": reply["cpu"]}

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log_file.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="quick set: " + " | ".join(QUICK))
    ap.add_argument("old", nargs="?", help="git revision, or '.' for the working tree")
    ap.add_argument("new", nargs="?", help="git revision, or '.' for the working tree")
    ap.add_argument(
        "--bench",
        action="append",
        metavar="'SCRIPT ARGS'",
        help=f"a benchmark invocation (repeatable; scripts: {', '.join(SCRIPTS_WITH_ROWS)}); default: the quick set",
    )
    ap.add_argument("--rows", metavar="REGEX", help="compare only the rows whose 'script: row' name matches")
    ap.add_argument("--rounds", type=int, default=5, help="rounds, each with fresh processes (default 5)")
    ap.add_argument("--samples", type=int, default=3, help="alternating samples per row in a round (default 3)")
    ap.add_argument("--threshold", type=float, default=0.05, help="relative slowdown that counts (default 0.05)")
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu", help="the time compared (default cpu)")
    ap.add_argument("--threads", type=int, default=1, help="threads for every engine (default 1)")
    ap.add_argument("--sample", type=float, default=0.1, help="seconds of calls per row, side and round")
    ap.add_argument("--own-harness", action="store_true", help="run each side's own benchmarks/ scripts")
    ap.add_argument("--save-runs", metavar="FILE", help="write every run's row times as JSON")
    ap.add_argument("--from-runs", metavar="FILE", help="analyse times saved by --save-runs instead of timing")
    args = ap.parse_args(argv)
    if args.from_runs is None and (args.old is None or args.new is None):
        ap.error("OLD and NEW are required (unless --from-runs)")
    try:
        return compare(args)
    except CompareError as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2


def compare(args) -> int:
    if args.from_runs:
        saved = json.loads(Path(args.from_runs).read_text())
    else:
        saved = measure(args)
        if args.save_runs:
            Path(args.save_runs).write_text(json.dumps(saved))
    results, missing = compare_rows(saved["runs"], args.clock, args.threshold, args.rows)
    print(f"OLD: {saved['old']}   NEW: {saved['new']}   harness: {saved['harness']}")
    settings = f"{saved['rounds']} rounds in {saved['seconds']:.0f} s; {saved['threads']} thread(s)"
    settings += f"; BLAS: {'; '.join(saved['blas'])}"
    print(f"{settings}; {args.clock} time per call, median over rounds")
    for text in saved["benches"]:
        print(f"  {text}")
    print(report(results, args.clock))
    for name in missing:
        print(f"{name}: measured on one side only, not compared")
    slower = [r.name for r in results if r.verdict == "slower"]
    print(
        f"{len(slower)} of {len(results)} rows slower by more than {args.threshold:.0%}, spread above 1"
        + (": " + ", ".join(slower) if slower else "")
    )
    return 1 if slower else 0


def measure_round(r: int, spec: BenchSpec, roots: list[Path], args, log: Path, cpu: int | None) -> dict:
    """One round of one benchmark: fresh OLD and NEW processes, each row sampled ``--samples`` times per side.

    Both processes run on CPU ``cpu`` (one at a time: the idle one waits for
    its next request), so neither side gets a core the other does not. A
    row's time on a side is its fastest sample.
    """
    servers: list[Server] = []
    try:
        for root, name in zip(roots, ("old", "new")):
            servers.append(Server(root, spec, args.threads, log.with_name(f"{log.name}-{name}.log")))
        for server in servers:
            server.wait_ready()
            if cpu is not None:
                os.sched_setaffinity(server.proc.pid, {cpu})
        rows = [n for n in servers[0].hello["rows"] if n in servers[1].hello["rows"]]
        if args.rows:
            rows = [n for n in rows if re.search(args.rows, f"{spec.script}: {n}")]
        taken: list[dict] = [{row: [] for row in rows} for _ in servers]
        for j in range(args.samples):
            for row in rows:
                for s in side_order(r + j):
                    taken[s][row].append(servers[s].time(row, args.sample))
        times = [
            {row: {clock: min(x[clock] for x in xs) for clock in ("wall", "cpu")} for row, xs in side.items()}
            for side in taken
        ]
        return {"times": times, "blas": [server.hello["blas"] for server in servers]}
    finally:
        for server in servers:
            server.close()


def measure(args) -> dict:
    """Time the benchmark rows for both sides, taking turns; the record ``--save-runs`` writes."""
    if args.rounds < 2:
        raise CompareError("--rounds must be at least 2 (5 or more to judge a 5% change)")
    repo = Path(git(Path.cwd(), "rev-parse", "--show-toplevel"))
    resolve = git_resolver(repo)
    sides = [parse_side(args.old, resolve), parse_side(args.new, resolve)]
    specs = [parse_bench(text) for text in (args.bench or QUICK)]
    tmp = Path(tempfile.mkdtemp(prefix="zymo-compare-"))
    roots: list[Path] = []
    runs: list[list[dict]] = [[{} for _ in range(args.rounds)] for _ in sides]
    kernels = set()
    start = time.perf_counter()
    try:
        for side, name in zip(sides, ("old", "new")):
            roots.append(prepare(side, name, repo, tmp, args.own_harness))
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        for r in range(args.rounds):
            for k, spec in enumerate(specs):
                t = time.perf_counter()
                samples = measure_round(r, spec, roots, args, tmp / f"{k}", cpus[r % len(cpus)] if cpus else None)
                for side, measured in zip(runs, samples["times"]):
                    side[r].update({f"{spec.script}: {row}": times for row, times in measured.items()})
                kernels.update(samples["blas"])
                print(f"round {r + 1}/{args.rounds} {spec.script}: {time.perf_counter() - t:.1f} s",
                      file=sys.stderr, flush=True)  # fmt: skip
    finally:
        for side, root in zip(sides, roots):
            if side.commit is not None:
                remove = ["git", "-C", str(repo), "worktree", "remove", "--force", str(root)]
                subprocess.run(remove, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    harness = "each side's own benchmarks/" if args.own_harness else f"{HARNESS} for both"
    return {
        "old": sides[0].describe(),
        "new": sides[1].describe(),
        "harness": harness,
        "rounds": args.rounds,
        "sample": args.sample,
        "samples": args.samples,
        "seconds": time.perf_counter() - start,
        "threads": args.threads,
        "blas": sorted(kernels),
        "benches": [spec.text() for spec in specs],
        "runs": runs,
    }


if __name__ == "__main__":
    sys.exit(main())
