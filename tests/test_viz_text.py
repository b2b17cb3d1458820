"""viz.text: the plain-text tree of a graph."""

import pytest

from autograd import Value
from viz import text_tree
from viz_seeds import seed_000, seed_001


def test_seed_000_tree_before_and_after_backward():
    loss, _, _ = seed_000()
    assert text_tree(loss).splitlines()[0] == "L = 81  grad —  (**2)"
    assert "not computed yet" in text_tree(loss)
    loss.backward()
    assert text_tree(loss) == "\n".join([
        "L = 81  grad 1  (**2)",
        "└── z - y = 9  grad 18  (-)",
        "    ├── z = 13  grad 18  (relu)",
        "    │   └── n = 13  grad 18  (+)",
        "    │       ├── w*x = 6  grad 18  (*)",
        "    │       │   ├── w = 3  grad 36",
        "    │       │   └── x = 2  grad 54",
        "    │       └── b = 7  grad 18",
        "    └── y = 4  grad -18",
    ])


def test_gated_nodes_are_marked():
    loss, _, _ = seed_000(w=-9.0, b=-7.0)
    loss.backward()
    tree = text_tree(loss)
    assert "z = 0  grad -8  (relu, off)" in tree
    assert "w = -9  grad 0  [gated by ReLU]" in tree
    assert "y = 4  grad 8" in tree and "y = 4  grad 8  [gated" not in tree


def test_seed_001_numbers_and_hidden_grads():
    cost, _ = seed_001()
    cost.backward()
    tree = text_tree(cost)
    for piece in ("L1.N0.z = 0.32", "L1.N1.z = -0.08", "L2.N0.z = 0.392  grad -0.408",
                  "L1.N0.b = 0.1  grad -0.2448", "L1.N0.w0 = 0.4  grad -0.1224", "C = 0.083232"):
        assert piece in tree, piece
    assert "grad" not in text_tree(cost, show_grads=False)


def test_shared_interior_node_is_written_once():
    x = Value(2.0, label="x")
    square = x * x
    y = square + square
    lines = text_tree(y).splitlines()
    assert lines[:5] == [
        "x*x + x*x = 8  grad —  (+)",
        "├── x*x = 4  grad —  (*)",
        "│   ├── x = 2  grad —",
        "│   └── x = 2  grad —",
        "└── x*x  (see above)",
    ]


def test_deep_chain_needs_no_recursion():
    node = Value(0.5, label="x")
    for _ in range(3000):
        node = node * 1.0
    assert len(text_tree(node).splitlines()) == 2 * 3000 + 2  # product and constant per level


def test_bad_arguments():
    with pytest.raises(TypeError, match="text_tree\\(\\) needs a Value"):
        text_tree([1, 2])
    with pytest.raises(ValueError, match="show_grads must be"):
        text_tree(Value(1.0), show_grads="yes")
