"""The benchmark (tests/benchmarks/bench_engine.py) runs end to end at toy sizes. No timing is checked."""

import importlib.util
from pathlib import Path

import pytest

from tracegrad import Value

pytest.importorskip("micrograd")
_PATH = Path(__file__).parent / "benchmarks" / "bench_engine.py"
_spec = importlib.util.spec_from_file_location("bench_engine", _PATH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

TINY = {"samples": 4, "steps": {"micrograd": 1, "tracegrad": 2, "torch": 2},
        "warmup": 1, "rounds": 1, "terms": 300, "chain": 1000}


def test_every_row_runs_in_worker_processes_and_is_reported():
    rows, memory = bench.measure(TINY)
    report = bench.format_report(rows, memory, TINY["samples"])
    assert [title for title, _, _ in rows] == [title for title, _, _ in bench.ROWS]
    for title, micro, ours in rows:
        assert micro["median"] > 0 and micro["steps"] == 1
        if ours is not None:  # torch is optional
            assert ours["median"] > 0 and 0.0 <= ours["gc_share"] <= 1.0
    assert memory["tracegrad"]["Python sum"]["nodes"] == memory["micrograd"]["Python sum"]["nodes"]
    assert memory["tracegrad"]["Python sum"]["freed_at_once"]
    assert not memory["micrograd"]["Python sum"]["freed_at_once"]  # its closures make cycles
    assert memory["tracegrad"]["chain"]["recursion_limit"] == 1000
    assert "| row | micrograd 0.1.0 |" in report and "B/node" in report


def test_the_shaped_model_builds_micrograds_graph_and_matches_its_losses():
    from micrograd.engine import Value as MicroValue

    xs, ys = bench.moons(6)
    weights = bench.initial_weights(seed=5)
    theirs = bench._micrograd_model(weights)
    ours = bench.InlineMLP(Value, weights)
    mirror = bench.InlineMLP(MicroValue, weights)
    # micrograd keeps a node's operands in a set, so the order in which its backward
    # sums a gradient's contributions (and so the last bits) varies from run to run
    for _ in range(2):
        expected = bench.train_step(theirs, xs, ys)
        assert bench.train_step(mirror, xs, ys) == pytest.approx(expected, rel=1e-12)
        assert bench.train_step(ours, xs, ys) == pytest.approx(expected, rel=1e-12)
