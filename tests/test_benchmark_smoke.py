"""The engine benchmark runs end to end at toy sizes (tests/benchmarks/bench_engine.py). No timing is checked."""

import importlib.util
import sys
from pathlib import Path

import pytest

from autograd import Value

pytest.importorskip("micrograd")
_PATH = Path(__file__).parent / "benchmarks" / "bench_engine.py"
_spec = importlib.util.spec_from_file_location("bench_engine", _PATH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_benchmark_runs_every_case_and_reports_them():
    limit = sys.getrecursionlimit()
    rows, notes = bench.time_cases(chain_steps=200, sum_terms=300, samples=4, mlp_steps=1, repeats=1)
    memory = bench.memory_case(samples=4)
    report = bench.format_report(rows, notes, memory)
    assert sys.getrecursionlimit() == limit  # raised for micrograd's runs only
    cases = [case for case, _, _ in rows]
    assert any(c.startswith("a. chain, 400 ops") for c in cases)
    assert any("(Value.sum)" in c for c in cases)
    assert any("micrograd's graph shape" in c for c in cases)
    assert all(micro > 0 and ours > 0 for _, micro, ours in rows)
    assert "Gradients identical: True" in report
    assert "case" in report and "| ratio" in report and 'targets (issue "autograd")' in report


def test_benchmark_measures_the_same_graph_in_both_libraries():
    memory = bench.memory_case(samples=3)
    assert memory["micrograd"]["nodes"] == memory["tracegrad"]["nodes"] > 0
    assert memory["tracegrad"]["freed_by_refcount"]
    assert not memory["micrograd"]["freed_by_refcount"]  # its closures make cycles


def test_inline_mlp_reproduces_micrograd_mlp_losses():
    from micrograd.nn import MLP

    xs, ys = bench.moons(8)
    theirs = bench._micrograd_mlp(MLP, seed=5)
    ours = bench.InlineMLP.like(theirs, Value)
    assert bench.train_step(theirs, xs, ys) == bench.train_step(ours, xs, ys)
