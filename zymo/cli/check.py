"""``python -m zymo check``: every acceptance case against finite differences, as a table."""

from __future__ import annotations

import argparse
import time

HELP = "differentiate every acceptance loss style, compare with finite differences, and check zymo.jit replays it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--filter", default="", help="only cases whose name contains this text")
    parser.add_argument("--failures-only", action="store_true", help="print only failing rows")


def run(args) -> int:
    from ..acceptance import all_cases, run_case

    cases = [c for c in all_cases() if args.filter in c.name]
    width = max(len(c.name) for c in cases) if cases else 10
    print(f"{'case':<{width}}  {'max rel. error':>14}  result")
    print("-" * (width + 24))
    failed = 0
    start = time.perf_counter()
    for case in cases:
        err, ok, msg = run_case(case)
        failed += not ok
        if ok and args.failures_only:
            continue
        line = f"{case.name:<{width}}  {err:>14.2e}  {'OK' if ok else 'FAIL'}"
        print(line + (f"  {msg}" if msg else ""))
    print("-" * (width + 24))
    print(f"{len(cases) - failed} passed, {failed} failed ({time.perf_counter() - start:.1f} s)")
    return 1 if failed else 0
