"""compare.py's decisions: revision parsing, benchmark specs, turn order, ratios, spread and the regression rule."""

from __future__ import annotations

import pytest

from benchmarks import compare


def _resolve(rev: str) -> str:
    if rev == "nope":
        raise compare.CompareError("'nope' is not a git revision")
    return {"main": "a" * 40, "HEAD~1": "b" * 40}[rev]


def test_dot_and_worktree_name_the_working_tree():
    for text in (".", "WORKTREE", "worktree"):
        assert compare.parse_side(text, _resolve) == compare.Side(text, None)


def test_revision_is_resolved_to_its_commit():
    assert compare.parse_side("HEAD~1", _resolve) == compare.Side("HEAD~1", "b" * 40)


def test_unknown_revision_raises_the_resolvers_error():
    with pytest.raises(compare.CompareError, match="not a git revision"):
        compare.parse_side("nope", _resolve)


def test_bench_spec_splits_script_and_arguments_like_a_shell():
    spec = compare.parse_bench("rnn_grad.py --cases LSTM GRU --sizes 'middle'")
    assert spec == compare.BenchSpec("rnn_grad", ("--cases", "LSTM", "GRU", "--sizes", "middle"))


def test_bench_spec_rejects_a_script_without_json_rows():
    with pytest.raises(compare.CompareError, match="choose one of"):
        compare.parse_bench("memory --quick")


@pytest.mark.parametrize("flag", ["--json x.json", "--threads 2", "--json=x.json", "--serve"])
def test_bench_spec_rejects_flags_compare_sets_itself(flag):
    with pytest.raises(compare.CompareError, match="set by compare.py"):
        compare.parse_bench(f"overhead {flag}")


def test_quick_set_parses():
    assert [compare.parse_bench(text).script for text in compare.QUICK] == ["overhead", "rnn_grad"]


def test_sides_take_turns_going_first():
    assert [compare.side_order(r) for r in range(4)] == [(0, 1), (1, 0), (0, 1), (1, 0)]


def test_summary_with_few_rounds_takes_medians_and_the_range_of_per_round_ratios():
    s = compare.summarize([1.0, 2.0, 4.0], [1.1, 1.0, 4.4])
    assert s.old == 2.0 and s.new == 1.1
    assert s.ratio == pytest.approx(1.1) and s.low == pytest.approx(0.5) and s.high == pytest.approx(1.1)


def test_summary_needs_paired_rounds():
    with pytest.raises(ValueError):
        compare.summarize([1.0, 2.0], [1.0])


def _summary(ratios):
    return compare.summarize([1.0] * len(ratios), ratios)


def test_summary_from_five_rounds_spreads_over_the_interquartile_range():
    s = _summary([1.0, 1.1, 1.2, 1.3, 1.4])
    assert (s.ratio, s.low, s.high) == pytest.approx((1.2, 1.1, 1.3))


def test_slowdown_beyond_threshold_with_spread_above_one_is_a_regression():
    assert compare.verdict(_summary([1.07, 1.06, 1.09, 1.08, 0.97]), 0.05) == "slower"


def test_slowdown_within_threshold_is_not_a_regression():
    assert compare.verdict(_summary([1.04, 1.045, 1.03, 1.04, 1.02]), 0.05) == "same"


def test_slowdown_with_spread_reaching_one_is_not_a_regression():
    assert compare.verdict(_summary([1.2, 1.3, 0.99, 1.25, 0.95]), 0.05) == "same"


def test_speedup_beyond_threshold_in_every_round_is_faster():
    assert compare.verdict(_summary([0.8, 0.85, 0.9, 0.7, 1.02]), 0.05) == "faster"


def _runs(old, new, name="overhead: T=6 zymo"):
    """runs[side][round] with equal wall and CPU times."""
    return [[{name: {"wall": t, "cpu": t}} for t in times] for times in (old, new)]


def test_compare_rows_pairs_rounds_by_row_name_and_filters_by_pattern():
    runs = _runs([1.0] * 5, [1.2] * 5)
    for side in runs:
        for rnd in side:
            rnd["rnn_grad: LSTM zymo"] = {"wall": 1.0, "cpu": 1.0}
    results, missing = compare.compare_rows(runs, "cpu", 0.05, pattern="overhead")
    assert [(r.name, r.verdict) for r in results] == [("overhead: T=6 zymo", "slower")]
    assert missing == []


def test_compare_rows_uses_the_chosen_clock():
    runs = _runs([1.0] * 5, [1.0] * 5)
    for rnd in runs[1]:
        rnd["overhead: T=6 zymo"]["wall"] = 2.0
    (cpu,), _ = compare.compare_rows(runs, "cpu", 0.05)
    (wall,), _ = compare.compare_rows(runs, "wall", 0.05)
    assert (cpu.verdict, cpu.other_clock.ratio) == ("same", 2.0)
    assert (wall.verdict, wall.clock.ratio) == ("slower", 2.0)


def test_row_measured_on_one_side_only_is_reported_missing():
    runs = _runs([1.0] * 3, [1.0] * 3)
    for rnd in runs[1]:
        rnd["overhead: T=6 new engine"] = {"wall": 1.0, "cpu": 1.0}
    results, missing = compare.compare_rows(runs, "cpu", 0.05)
    assert [r.name for r in results] == ["overhead: T=6 zymo"]
    assert missing == ["overhead: T=6 new engine"]


def test_report_marks_regressions():
    runs = _runs([1.0] * 5, [1.5] * 5)
    results, _ = compare.compare_rows(runs, "cpu", 0.05)
    assert "REGRESSION" in compare.report(results, "cpu")
