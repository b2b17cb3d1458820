"""viz.examples: the blog posts' worked numbers, as literal expectations."""

import re
from pathlib import Path

import pytest

from tracegrad import Value
from tracegrad.viz.cli import main
from tracegrad.viz.examples import EXAMPLES, network_221, square_neuron


def test_square_neuron_forward_and_backward():
    loss, nodes = square_neuron()
    assert loss is nodes["L"]
    assert (nodes["z"].data, loss.data) == (13.0, 81.0)
    loss.backward()
    # The chain rule: dL/dw = 2(z - y)·x = 36, dL/db = 2(z - y) = 18 (the blog post's 12 and 14 are slips)
    assert nodes["w"].grad == 36.0
    assert nodes["b"].grad == 18.0
    assert nodes["x"].grad == 54.0 and nodes["y"].grad == -18.0


def test_network_221_network_forward():
    cost, nodes = network_221()
    assert cost is nodes["C"]
    assert nodes["L1.N0.z"].data == pytest.approx(0.32)
    assert nodes["L1.N1.z"].data == pytest.approx(-0.08)
    assert nodes["L1.N0.a"].data == pytest.approx(0.32)
    assert nodes["L1.N1.a"].data == 0.0
    assert nodes["yhat"].data == pytest.approx(0.392)
    assert cost.data == pytest.approx(0.083232)


def test_network_221_network_backward():
    cost, nodes = network_221()
    cost.backward()
    expected = {
        "yhat": -0.408,
        "L2.N0.b": -0.408,  # δ of the output layer
        "L2.N0.w0": -0.13056,  # δ · a1 (the blog post rounds it to -0.13)
        "L2.N0.w1": 0.0,  # a1[1] = 0: the second hidden neuron is off
        "L1.N0.b": -0.2448,  # δ¹ = 0.6 · (-0.408) · relu'(0.32)
        "L1.N0.w0": -0.1224,
        "L1.N0.w1": -0.02448,
        "L1.N1.b": 0.0,  # relu'(-0.08) = 0
        "L1.N1.w0": 0.0,
        "L1.N1.w1": 0.0,
    }
    for label, g in expected.items():
        assert nodes[label].grad == pytest.approx(g, abs=1e-12), label


def test_network_221_one_step_of_gradient_descent():
    cost, nodes = network_221()
    cost.backward()
    eta = 0.1
    updated = {label: nodes[label].data - eta * nodes[label].grad
               for label in ("L2.N0.b", "L1.N0.b", "L1.N0.w0", "L1.N1.b")}
    assert updated == pytest.approx(
        {"L2.N0.b": 0.2408, "L1.N0.b": 0.12448, "L1.N0.w0": 0.41224, "L1.N1.b": -0.3}
    )


def test_builders_make_fresh_graphs_every_call():
    first, _ = square_neuron()
    second, _ = square_neuron()
    first.backward()
    assert second.grad == 0.0 and first is not second


def test_examples_table_names_the_command_line_examples():
    assert set(EXAMPLES) == {"square_neuron", "network_221"}
    for build, title in EXAMPLES.values():
        loss, nodes = build()
        assert isinstance(loss, Value) and title


# --- one name per worked example ---------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
# What the examples were called before they had one name each: the letters, the seeds'
# numbers, and the command line's short names (written in pieces, so this file passes too).
OLD_NAMES = re.compile("|".join([r"Example [AB]\b", r"\bexample_[ab]\b", r"\b[Ss]eed[ _]00[01]\b",
                                 r"\bSEED_00[01]"]))
OLD_COMMAND_NAMES = re.compile(r"(?<![\w.])(square|221)(?![\w.])")


def test_no_file_calls_an_example_by_an_old_name():
    files = [ROOT / "README.md", *(path for folder in ("autograd", "nn", "viz", "tests", ".ci")
                                  for path in (ROOT / folder).rglob("*")
                                  if path.suffix in {".py", ".js", ".html", ".css", ".md", ".toml", ""}
                                  and path.is_file() and "__pycache__" not in path.parts)]
    files.append(ROOT / "pyproject.toml")
    found = [f"{path.relative_to(ROOT)}: {match.group()}"
             for path in files for match in OLD_NAMES.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


def test_help_walkthrough_and_pages_name_the_examples_as_the_command_line_does(tmp_path, capsys):
    for argv in (["--help"], ["trace", "--help"], ["--out", str(tmp_path)]):
        assert main(argv) == 0
        # the folder's own path is no name of ours (pytest may number it pytest-221)
        out = capsys.readouterr().out.replace(str(tmp_path), "OUT")
        assert "square_neuron" in out and "network_221" in out
        assert not OLD_NAMES.search(out) and not OLD_COMMAND_NAMES.search(out), argv
    pages = sorted(path.name for path in tmp_path.iterdir())
    assert pages == ["network_221.html", "network_221.svg", "square_neuron.html", "square_neuron.svg"]
    for path in tmp_path.iterdir():
        assert not OLD_NAMES.search(path.read_text(encoding="utf-8")), path.name


@pytest.mark.parametrize("old", ["square", "221"])
def test_the_old_command_line_names_are_no_aliases(old, capsys):
    assert main(["trace", old]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (f"tracegrad: error: unknown example '{old}'; the examples are "
                                 "square_neuron, network_221 (or an expression with its variables, like: "
                                 f"tracegrad trace \"{'square' if old == 'square' else 'x'}*2\" "
                                 f"{'square' if old == 'square' else 'x'}=3)\n")
