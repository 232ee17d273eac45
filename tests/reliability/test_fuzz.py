"""The long-run fuzz command: it checks, sorts what it finds, shrinks, and fails on wrong results."""

from __future__ import annotations

import io

import numpy as onp
import pytest

import zymo
import zymo.numpy as znp

from . import fuzz


def test_fuzz_command_checks_programs_and_jit_replays_and_exits_zero_when_all_pass(capsys):
    assert fuzz.main(["--programs", "3", "--jit", "2", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "checked 3 programs against NumPy and 2 through zymo.jit" in out
    assert "wrong: 0" in out and "crash: 0" in out


@pytest.fixture
def wrong_tanh_gradient(monkeypatch):
    prim = znp.tanh._prim
    for slot in ("vjp", "vjp_owned", "vjp_plain", "vjp_partial", "vjp_arity", "saves", "drop", "save_ans"):
        monkeypatch.setattr(prim, slot, getattr(prim, slot))
    zymo.defvjp(prim, lambda g, ans, x: 2.0 * g * (1 - ans * ans))


def test_fuzz_command_reports_a_planted_wrong_rule_and_exits_non_zero(wrong_tanh_gradient, capsys):
    assert fuzz.main(["--programs", "30", "--jit", "0", "--seed", "3", "--shrink-seconds", "5"]) == 1
    out = capsys.readouterr().out
    assert "--- wrong: gradient (program), shrunk:" in out
    assert "crash: 0" in out


def test_a_planted_wrong_rule_is_shrunk_to_fewer_statements_that_still_show_it(wrong_tanh_gradient):
    tally = fuzz.run(30, 0, seed=3, workers=1, max_ops=12, out=io.StringIO())
    finding = tally.first["wrong: gradient"]
    shrunk = fuzz.shrink(finding, budget_s=20.0)
    assert "tanh" in shrunk or "gelu" in shrunk  # gelu computes with tanh
    assert len(shrunk.splitlines()) < len(finding.source.splitlines())
    assert fuzz._run_check("program", shrunk, finding.inputs) == "wrong: gradient"


def test_findings_are_sorted_into_wrong_crash_and_loud():
    assert fuzz.classify(AssertionError("register 2 under vjp: 1.0 != NumPy's 2.0")).startswith("wrong: value")
    assert fuzz.classify(AssertionError("reverse mode differs from finite differences")) == "wrong: gradient"
    assert fuzz.classify(AssertionError("zymo.jit call 2 differs")).startswith("wrong: jit")
    assert fuzz.classify(zymo.MutationError("writing through x at <generated program>:3")).startswith(
        "loud: MutationError"
    )
    assert fuzz.classify(IndexError("boom")).startswith("crash: IndexError")


_TWO_LINES = "def program(r0):\n    r1 = r0 * 2.0\n    return [r0, r1]\n"
_ONE_LINE = "def program(r0):\n    return [r0]\n"


def test_tally_of_chunks_adds_counts_and_keeps_the_first_finding_of_each_kind():
    a, b = fuzz.Tally(programs=2), fuzz.Tally(programs=1, jit=3)
    a.kinds["wrong: gradient"] = 1
    a.first["wrong: gradient"] = fuzz.Finding("wrong: gradient", "program", _TWO_LINES, (onp.ones(1),), "")
    b.kinds["wrong: gradient"] = 2
    b.first["wrong: gradient"] = fuzz.Finding("wrong: gradient", "program", _ONE_LINE, (onp.ones(1),), "")
    a.add(b)
    assert (a.programs, a.jit, a.kinds["wrong: gradient"], a.severe()) == (3, 3, 3, 3)
    assert a.first["wrong: gradient"].source == _TWO_LINES
    fuzz.report(a, out=io.StringIO(), shrink_budget_s=0.0)


def test_a_check_that_hangs_is_stopped_and_counted_as_a_crash(monkeypatch):
    import time

    monkeypatch.setattr(fuzz, "_check_numpy", lambda *args: time.sleep(30))
    monkeypatch.setattr(fuzz._time_limit, "seconds", 0.2)
    start = time.monotonic()
    kind = fuzz._run_check("program", _TWO_LINES, (onp.ones(1),))
    assert kind == "crash: hang (a check ran over 0.2 s)"
    assert time.monotonic() - start < 10


def test_every_finding_is_written_to_the_findings_file(tmp_path):
    tally = fuzz.Tally(programs=2)
    for source in (_TWO_LINES, _ONE_LINE):
        tally.keep(fuzz.Finding("wrong: gradient", "program", source, (onp.ones(1),), "differs"))
    path = tmp_path / "findings.py"
    fuzz.write_findings(tally, str(path))
    text = path.read_text()
    assert text.count("# --- wrong: gradient (program)") == 2
    assert "r1 = r0 * 2.0" in text and "inputs = (np.array([1.0]),)" in text


def test_a_wrong_rule_is_caught_beside_a_tie_that_finite_differences_cannot_judge(wrong_tanh_gradient):
    from .differential import check_program
    from .programs import compile_program

    program = compile_program(
        "def program(r0):\n"
        "    r1 = np.fft.irfft(np.fft.rfft(r0), n=r0.shape[-1])\n"
        "    r2 = np.where(r1 > r0, r1, r0 * 2.0)\n"
        "    return [r2, np.tanh(r0)]\n"
    )
    with pytest.raises(AssertionError, match="reverse mode differs from finite differences"):
        check_program(program, (onp.array([0.1257302210933933, -0.1321048632913019, 0.6404226504432821]),))
