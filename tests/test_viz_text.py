"""viz.text: the plain-text tree of a graph."""

import pytest

from tracegrad import Value
from tracegrad.viz import text_tree
from examples_by_hand import network_221_by_hand, square_neuron_by_hand


def test_square_neuron_tree_before_and_after_backward():
    loss, _, _ = square_neuron_by_hand()
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
    loss, _, _ = square_neuron_by_hand(w=-9.0, b=-7.0)
    loss.backward()
    tree = text_tree(loss)
    assert "z = 0  grad -8  (relu, off)" in tree
    assert "w = -9  grad 0  [gated by ReLU]" in tree
    assert "y = 4  grad 8" in tree and "y = 4  grad 8  [gated" not in tree


def test_network_221_numbers_and_hidden_grads():
    cost, _ = network_221_by_hand()
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


def chain(length):
    """c_length = x * 1.0 * 1.0 ...: a graph ``length`` operations deep, 2 * length + 1 nodes."""
    node = Value(0.5, label="x")
    for k in range(1, length + 1):
        node = node * 1.0
        node.label = f"c{k}"
    return node


def test_deep_chain_needs_no_recursion():
    tree = text_tree(chain(3000), max_lines=None)
    assert len(tree.splitlines()) > 2 * 3000  # product and constant per level, plus the parts' headers
    assert tree.splitlines()[-1] == "(grad —: not computed yet; call backward() on the output)"


@pytest.mark.parametrize("length", [3000, 30_000])
def test_a_deep_chain_gives_text_in_proportion_to_its_size(length):
    # indentation grew one level per operation: 36 MB of text for 3,000, a MemoryError for 30,000
    tree = text_tree(chain(length), max_lines=None)
    assert len(tree) < 150 * (2 * length + 1)  # characters per node, whatever the depth
    assert max(len(line) for line in tree.splitlines()) < 100


def test_indentation_stops_at_max_depth_and_the_tree_goes_on_in_parts():
    tree = text_tree(chain(30), max_depth=12, max_lines=None).splitlines()
    assert tree[0] == "c30 = 0.5  grad —  (*)"
    # twelve levels down, the node's inputs move to part 2, written after the main tree
    assert tree[12] == "│   " * 11 + "├── c18 = 0.5  grad —  (*)  → inputs in part 2"
    start = tree.index("part 2, the inputs of c18 (the tree restarts its indentation every 12 levels):")
    assert tree[start - 1] == ""
    assert tree[start + 1] == "c18 = 0.5  grad —  (*)"
    assert tree[start + 2] == "├── c17 = 0.5  grad —  (*)"
    assert "part 3, the inputs of c6 (the tree restarts its indentation every 12 levels):" in tree
    assert "│   " * 5 + "├── x = 0.5  grad —" in tree  # the bottom of the chain is reached
    assert sum(line.endswith("  (constant)") for line in tree) == 30  # every node written once
    assert max(len(line) - len(line.lstrip("│├└─ ")) for line in tree) == 4 * 12


def test_a_node_met_again_after_its_inputs_moved_to_a_part_says_which_part():
    x = Value(2.0, label="x")
    deep = x
    for k in range(5):
        deep = deep + 1.0
        deep.label = f"d{k}"
    root = deep * deep + deep.relu()
    lines = text_tree(root, max_depth=2, max_lines=None).splitlines()
    assert "│   ├── d4 = 7  grad —  (+)  → inputs in part 2" in lines
    assert "│   └── d4  (see part 2)" in lines
    assert "    └── d4  (see part 2)" in lines
    assert "part 2, the inputs of d4 (the tree restarts its indentation every 2 levels):" in lines


def test_at_the_depth_limit_inputs_that_are_leaves_need_no_part():
    w, x = Value(3.0, label="w"), Value(2.0, label="x")
    assert text_tree((w * x).relu(), max_depth=1).splitlines() == [
        "relu(w*x) = 6  grad —  (relu)",
        "└── w*x = 6  grad —  (*)",
        "    ├── w = 3  grad —",
        "    └── x = 2  grad —",
        "(grad —: not computed yet; call backward() on the output)",
    ]


def test_output_stops_at_max_lines_and_says_what_was_left_out():
    tree = text_tree(chain(3000)).splitlines()  # default: at most 1,000 lines
    assert len(tree) == 1000 + 2
    # shown: the tree (c3000 down to 12 levels: 25 nodes) and 36 whole parts of 24 new nodes
    # each in 27 lines (blank, header, the part's first node again, 24 more): 25 + 36 * 27 = 997
    assert tree[-2] == ("… stopped after 1,000 lines: 5,112 of 6,001 nodes are not shown; "
                        "text_tree(root, max_lines=None) shows them all")
    assert tree[-1].startswith("(grad —: not computed yet")
    assert len(text_tree(chain(3000), max_lines=10).splitlines()) == 10 + 2


def test_a_tree_within_the_limits_is_written_whole():
    whole = text_tree(chain(400), max_lines=None)
    assert "stopped after" not in whole
    length = len(whole.splitlines()) - 1  # without the note on "grad —"
    assert text_tree(chain(400), max_lines=length) == whole
    assert "stopped after" in text_tree(chain(400), max_lines=length - 1)


def test_bad_arguments():
    with pytest.raises(TypeError, match="text_tree\\(\\) needs a Value"):
        text_tree([1, 2])
    with pytest.raises(ValueError, match="show_grads must be"):
        text_tree(Value(1.0), show_grads="yes")
    for option in ("max_depth", "max_lines"):
        for bad in (0, -1, 2.5, True, "10"):
            with pytest.raises(ValueError, match=f"{option} must be a whole number >= 1 or None, got"):
                text_tree(Value(1.0), **{option: bad})


def test_text_tree_of_a_huge_graph_names_only_the_part_it_shows(monkeypatch):
    # a million-operation chain took 8.5 s to name every node before max_lines applied
    from tracegrad.viz import format as viz_format

    x, c = Value(0.5, label="x"), Value(1.000001, label="c")
    y = x
    for _ in range(200_000):
        y = y * c
    named = []
    real_make_name = viz_format.GraphNodes._make_name
    monkeypatch.setattr(viz_format.GraphNodes, "_make_name",
                        lambda self, node, digits: (named.append(node), real_make_name(self, node, digits))[1])
    text = text_tree(y, max_lines=20, max_depth=5)
    assert len(named) < 100
    lines = text.splitlines()
    assert lines[0].startswith("…*c*c*c") and lines[0].endswith("(*)")  # … stands for the part below
    assert lines[20] == ("… stopped after 20 lines of a graph of more than 10,000 nodes (only the part shown is "
                         "named: … stands for the rest); text_tree(root, max_lines=None) shows them all")
    assert "c = 1  grad —" in text and "→ inputs in part 2" in text


def test_text_tree_of_a_graph_within_the_limit_names_it_whole():
    x = Value(0.5, label="x")
    y = x
    for _ in range(4_000):
        y = y * 1.0
    lines = text_tree(y, max_lines=5).splitlines()
    assert lines[0].startswith("#") and "7,996 of 8,001 nodes are not shown" in lines[-2]
