"""viz.dot: the DOT text of a drawing, its rules, and its options."""

import pytest

from autograd import Value
from viz import draw
from viz.format import format_number
from viz_seeds import seed_000, seed_001


def test_seed_000_numbers_after_backward():
    loss, w, b = seed_000()
    loss.backward()
    source = draw(loss).source
    assert "grad 36" in source and "grad 18" in source and "data 81" in source


def test_seed_001_numbers_after_backward():
    cost, _ = seed_001()
    cost.backward()
    source = draw(cost).source
    for number in ("0.32", "-0.08", "0.392", "0.083232", "-0.408", "-0.2448", "-0.1224",
                   "-0.02448", "-0.13056"):
        assert f" {number}<" in source or f" {number}>" in source, number


def test_same_graph_same_source_byte_for_byte():
    first, _ = seed_001()
    second, _ = seed_001()
    first.backward()
    second.backward()
    assert draw(first).source == draw(second).source


def test_grads_before_backward_are_shown_as_not_computed():
    loss, _, _ = seed_000()
    source = draw(loss).source
    assert "grad —" in source and "grad 0" not in source
    assert "not computed yet" in source


def test_format_number_significant_digits():
    assert format_number(1e-05) == "1e-05"
    assert format_number(0.32000000000000006) == "0.32"
    assert format_number(0.083232, digits=4) == "0.08323"
    assert format_number(-0.0) == "0"
