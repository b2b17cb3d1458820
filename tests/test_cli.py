"""The tracegrad command: what it prints, what it writes, and one line + exit 2 for every mistake."""

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracegrad.viz.cli import main


def run(capsys, *argv):
    """(exit status, stdout, stderr) of main(argv), run in-process."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, out, err, match):
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tracegrad: error: ")
    assert match in lines[0], lines[0]
    assert "Traceback" not in err


# --- tracegrad trace ---------------------------------------------------------


def test_trace_square_neuron_prints_its_worked_numbers(capsys):
    status, out, err = run(capsys, "trace", "square_neuron")
    assert status == 0 and err == ""
    assert "L = (z - y)**2 = 9**2 = 81" in out
    assert "grad(w) += x · grad(w*x) = 2 · 18 = 36" in out
    assert "grad(b) += 1 · grad(w*x + b) = 1 · 18 = 18" in out
    # it ends with the blog post's step of gradient descent (learning rate 1) and its consequence
    assert out.rstrip().endswith("sends no gradient back through it")
    assert "learning rate 1:" in out and "  w = 3 - 1·36 = -33\n  b = 7 - 1·18 = -11" in out
    assert "L = 81 -> 16" in out and "the ReLU z = relu(w*x + b) switches off" in out


def test_trace_network_221_prints_its_worked_numbers(capsys):
    status, out, err = run(capsys, "trace", "network_221")
    assert status == 0 and err == ""
    for text in ("0.083232", "-0.408", "-0.13056", "-0.2448", "-0.1224", "-0.02448"):
        assert text in out
    # the post's step with learning rate 0.1
    assert "learning rate 0.1:" in out and "L2.N0.b = 0.2 - 0.1·(-0.408) = 0.2408" in out
    assert "L1.N0.b = 0.1 - 0.1·(-0.2448) = 0.12448" in out and "C = 0.083232 -> 0.0592067" in out


def test_trace_expression_with_variables(capsys):
    status, out, err = run(capsys, "trace", "x*y + 3", "x=2", "y=-3")
    assert status == 0 and err == ""
    assert "x*y = 2*(-3) = -6" in out
    assert "grad(x) += y · grad(x*y) = (-3) · 1 = -3" in out


def test_overflowing_gradients_are_pointed_out(capsys):
    # every value is finite, but d/dx = 1e200 · 1e200 is not
    status, out, err = run(capsys, "trace", "(x*1e200)*1e200", "x=1e-200")
    assert status == 0 and err == ""
    assert "x  inf" in out and "some gradients overflowed" in out


def test_an_expression_starting_with_minus_goes_after_double_dash(capsys):
    status, out, err = run(capsys, "trace", "--", "-x*y", "x=2", "y=3")
    assert status == 0 and "-6" in out
    status, out, err = run(capsys, "trace", "-x*y", "x=2", "y=3")
    assert_one_line_error(status, out, err, "goes after '--'")


def test_trace_writes_every_output_format(capsys, tmp_path):
    paths = {kind: tmp_path / f"g.{kind}" for kind in ("svg", "png", "html", "dot")}
    argv = ["trace", "tanh(w*x + b)", "w=0.5", "x=2", "b=-1"]
    for kind, path in paths.items():
        argv += [f"--{kind}", str(path)]
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    for kind, path in paths.items():
        assert f"wrote {path}" in out
        assert path.stat().st_size > 0
    assert paths["svg"].read_text().lstrip().startswith(("<?xml", "<svg"))
    assert paths["png"].read_bytes().startswith(b"\x89PNG")
    assert "digraph" in paths["dot"].read_text()
    assert "<html" in paths["html"].read_text().lower()


# --- every mistake: one line on stderr, exit status 2 -----------------------


@settings(max_examples=150)
@given(st.one_of(st.text(max_size=40),
                 st.lists(st.sampled_from(list("xy()+-*/.,'=[]_ 0123456789") + ["**", "relu", "log", "exp",
                          "lambda", "import", "__class__"]), max_size=20).map("".join)))
def test_any_expression_text_exits_0_or_2_with_one_line(text):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["trace", "--", text, "x=0.5", "y=-2"])
    assert status in (0, 2)
    if status == 2:
        assert len(err.getvalue().splitlines()) == 1 and out.getvalue() == ""
    else:
        assert err.getvalue() == "" and "Forward pass" in out.getvalue()



@pytest.mark.parametrize(
    "argv, match",
    [
        (["frobnicate"], "unknown command 'frobnicate'; commands: trace, train"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["trace"], "trace needs an example"),
        (["trace", "cube"], "unknown example 'cube'; the examples are square_neuron, network_221"),
        # the examples' old names are no aliases: the error names the new ones
        (["trace", "square"], "unknown example 'square'; the examples are square_neuron, network_221"),
        (["trace", "221"], "unknown example '221'; the examples are square_neuron, network_221"),
        (["trace", "square_neuron", "x=2"], "takes no variables"),
        (["trace", "x +* y", "x=1", "y=2"], "not a valid expression"),
        (["trace", "__import__('os').system('ls')", "x=1"], "can be called"),
        (["trace", "x.real", "x=1"], "attribute access is not allowed"),
        (["trace", "x * y", "x=1"], "unknown variable 'y'; known variables: x"),
        (["trace", "log(x)", "x=-1"], "log is undefined"),
        (["trace", "x / y", "x=1", "y=0"], "division by zero"),
        (["trace", "x ** 1000", "x=2"], "exponent '1000' is too large"),
        (["trace", "9 ** 9 ** 9"], "powers of powers"),
        (["trace", "(" * 1000 + "x" + ")" * 1000, "x=1"], "characters long"),
        (["trace", "(" * 300 + "x" + ")" * 300, "x=1"], "parentheses deep"),
        (["trace", "x*2", "x=abc"], "'abc' is not a number"),
        (["trace", "x*2", "x"], "is not an assignment"),
        (["trace", "x*2", "=2"], "is not an assignment"),
        (["trace", "x*2", "x=", "x=1"], "is not an assignment"),
        (["trace", "x*2", "x=1", "x=2"], "x is given twice"),
        (["trace", "x*2", "2x=1"], "is not a variable name"),
        (["trace", "x*2", "x=inf"], "finite"),
        (["trace", "x*2", "x=nan"], "finite"),
        (["trace", "relu*2", "relu=1"], "is a function name"),
        (["trace", "square_neuron", "--svg", "g.png"], "--svg needs a file name ending in .svg"),
        (["trace", "square_neuron", "--svg", ".svg"], "--svg needs a file name ending in .svg"),
        (["trace", "square_neuron", "--png", "out/.PNG"], "--png needs a file name ending in .png"),
        (["trace", "square_neuron", "--digits", "0"], "argument --digits"),
        (["trace", "square_neuron", "--svg"], "expected one argument"),
        (["trace", "+".join(["1"] * 300), "--dot", "g.dot"], "too many to draw legibly"),
        (["trace", "square_neuron", "--digits", "18"], "argument --digits: expected a whole number from 1 to 17, got '18'"),
        (["trace", "square_neuron", "--digits", "9" * 5000], "argument --digits: expected a whole number from 1 to 17"),
        (["trace", "x*2", "x=" + "9" * 400], "the value must be a finite number"),
        (["trace", "x*2", "x=1e309"], "the value must be a finite number"),
        (["--out", "somewhere", "trace", "square_neuron"], "--out before a command is the walkthrough's"),
        (["--out", "somewhere", "train", "moons"], "use tracegrad train DATASET --out DIR"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(capsys, argv, match):
    status, out, err = run(capsys, *argv)
    assert_one_line_error(status, out, err, match)
    assert out == ""


@pytest.mark.parametrize("kind", ["svg", "png", "html", "dot"])
def test_a_graph_too_big_to_draw_is_refused_before_anything_is_printed(capsys, tmp_path, kind):
    # --html printed the whole trace, then a ValueError traceback and exit 1
    path = tmp_path / f"g.{kind}"
    status, out, err = run(capsys, "trace", "+".join(["1"] * 300), f"--{kind}", str(path))
    assert_one_line_error(status, out, err, f"this graph has more than 500 nodes, too many to draw legibly; "
                                            f"leave out --{kind} to print its trace alone")
    assert out == "" and not path.exists()


@pytest.mark.parametrize("kind", ["svg", "png", "html", "dot"])
def test_unwritable_output_paths(capsys, tmp_path, kind):
    missing = tmp_path / "no-such-dir" / f"g.{kind}"
    status, out, err = run(capsys, "trace", "square_neuron", f"--{kind}", str(missing))
    assert_one_line_error(status, out, err, "does not exist")
    folder = tmp_path / f"folder.{kind}"
    folder.mkdir()
    status, out, err = run(capsys, "trace", "square_neuron", f"--{kind}", str(folder))
    assert_one_line_error(status, out, err, "it is a directory")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_output_in_a_read_only_folder(capsys, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        status, out, err = run(capsys, "trace", "square_neuron", "--svg", str(folder / "g.svg"))
    finally:
        folder.chmod(0o700)
    assert_one_line_error(status, out, err, "no permission")


def test_output_folder_without_write_permission(capsys, tmp_path, monkeypatch):
    # As root every folder is writable, so the permission check is exercised by pretending.
    monkeypatch.setattr("tracegrad.viz.cli.checks.os.access", lambda path, mode: False)
    status, out, err = run(capsys, "trace", "square_neuron", "--svg", str(tmp_path / "g.svg"))
    assert_one_line_error(status, out, err, "no permission to write in")


def test_a_write_that_fails_midway_is_one_line(capsys, tmp_path, monkeypatch):
    def disk_full(self, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tracegrad.viz.dot.Drawing.save", disk_full)
    status, out, err = run(capsys, "trace", "square_neuron", "--svg", str(tmp_path / "g.svg"))
    assert status == 2 and err == f"tracegrad: error: cannot write {tmp_path / 'g.svg'}: No space left on device\n"


def test_walkthrough_output_folder_that_cannot_be_made(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    status, out, err = run(capsys, "--out", str(blocker / "inside"))
    assert_one_line_error(status, out, err, "cannot create the directory")


# --- tracegrad train ---------------------------------------------------------

# A few epochs on a few samples: these tests check the command, not the learning.
QUICK = ["--epochs", "3", "--samples", "24", "--hidden", "4", "--no-progress"]


def test_train_moons_reports_and_writes_the_training_player(capsys, tmp_path):
    status, out, err = run(capsys, "train", "moons", *QUICK, "--out", str(tmp_path / "pages"))
    assert status == 0, err
    assert "moons: 24 samples; MLP 2 → 4 → 1" in out and "hinge loss" in out
    assert "final loss" in out and "accuracy" in out
    page = tmp_path / "pages" / "train-moons.html"
    assert f"wrote {page}  (the training player: open it in a browser)" in out
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'data-tracegrad="player"' in text
    assert "<h1>tracegrad train moons</h1>" in text
    assert list((tmp_path / "pages").iterdir()) == [page]  # no picture unless asked for


def test_train_html_and_plot_write_where_asked(capsys, tmp_path):
    page, plot = tmp_path / "run.html", tmp_path / "run.png"
    status, out, err = run(capsys, "train", "moons", *QUICK, "--html", str(page), "--plot", str(plot))
    assert status == 0, err
    assert f"wrote {page}" in out and f"wrote {plot}" in out
    assert plot.read_bytes().startswith(b"\x89PNG") and 'data-tracegrad="player"' in page.read_text()


def test_a_long_run_keeps_every_kth_step_so_the_page_stays_small(capsys, tmp_path):
    from tracegrad.nn import MLP
    from tracegrad.viz.recording import frames_every

    model = MLP(2, [16, 16, 1])
    assert frames_every(model, 100) == 1  # the case: every step
    assert frames_every(model, 1000) > 5
    assert frames_every(MLP(1, [2, 1]), 1000) == 1
    page = tmp_path / "long.html"
    status, out, err = run(capsys, "train", "xor", "--epochs", "400", "--samples", "12", "--hidden", "64,64",
                           "--no-progress", "--html", str(page))
    assert status == 0, err
    assert page.stat().st_size < 5_000_000
    every = frames_every(MLP(2, [64, 64, 1]), 400)
    assert every > 1 and f'"steps":[0,{every},' in page.read_text()


@pytest.mark.parametrize("dataset, loss", [("spiral", None), ("squares", None), ("xor", "bce_with_logits"),
                                           ("circles", "cross_entropy")])
def test_train_every_kind_of_data_set(capsys, tmp_path, dataset, loss):
    argv = ["train", dataset, *QUICK, "--plot", str(tmp_path / "p.png"), "--html", str(tmp_path / "p.html")]
    if loss:
        argv += ["--loss", loss]
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    assert (tmp_path / "p.png").stat().st_size > 0
    assert 'data-tracegrad="player"' in (tmp_path / "p.html").read_text(encoding="utf-8")


def test_train_without_a_plot(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "train", "xor", *QUICK, "--no-plot")
    assert status == 0 and "wrote" not in out
    assert list(tmp_path.iterdir()) == []


def test_train_progress_bar_goes_to_stderr(capsys, tmp_path):
    argv = ["train", "moons", "--epochs", "2", "--samples", "10", "--hidden", "2", "--no-plot"]
    status, out, err = run(capsys, *argv)
    assert status == 0 and "2/2" in err and "2/2" not in out


def test_train_without_matplotlib_still_writes_the_page_and_plot_says_what_is_missing(capsys, monkeypatch,
                                                                                        tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    status, out, err = run(capsys, "train", "moons", *QUICK, "--out", str(tmp_path))
    assert status == 0, err
    assert (tmp_path / "train-moons.html").exists()
    status, out, err = run(capsys, "train", "moons", *QUICK, "--plot", str(tmp_path / "p.png"))
    assert_one_line_error(status, out, err, "--plot needs matplotlib, which tracegrad installs; it is missing")
    assert not (tmp_path / "p.png").exists()  # refused before training


@pytest.mark.parametrize(
    "argv, match",
    [
        (["train"], "train needs a data set: moons, circles, xor, spiral, squares"),
        (["train", "mnist"], "unknown data set 'mnist'; choose one of moons"),
        (["train", "moons", "--epochs", "0"], "argument --epochs: expected a whole number from 1 to 10,000, got '0'"),
        (["train", "moons", "--epochs", "ten"], "argument --epochs: expected a whole number, got 'ten'"),
        (["train", "moons", "--epochs", "-3"], "argument --epochs: expected a whole number from 1 to 10,000, got '-3'"),
        (["train", "moons", "--lr", "0"], "argument --lr: expected a number > 0"),
        (["train", "moons", "--lr", "nan"], "argument --lr: expected a number > 0"),
        (["train", "moons", "--hidden", "16,x"], "expected layer sizes like 16,16"),
        (["train", "moons", "--hidden", "16,,16"], "expected layer sizes like 16,16"),
        (["train", "moons", "--noise", "-1"], "argument --noise"),
        (["train", "moons", "--samples", "0"], "argument --samples"),
        (["train", "moons", "--seed", "x"], "argument --seed"),
        (["train", "moons", "--loss", "l1"], "--loss l1 does not fit moons; choose one of hinge"),
        (["train", "spiral", "--loss", "hinge"], "--loss hinge does not fit spiral; choose one of cross_entropy"),
        (["train", "squares", "--loss", "hinge"], "does not fit squares"),
        (["train", "spiral", "--samples", "2", "--no-plot"], "spiral needs --samples 3"),
        (["train", "moons", "--plot", "curve.txt"], "--plot needs a file name ending in .png"),
        (["train", "moons", "--plot", ".svg"], "--plot needs a file name ending in .png"),  # no suffix
        (["train", "moons", "--plot", "no/such/dir/p.png"], "does not exist"),
        # every number has an upper bound, checked before any work (issue 11)
        (["train", "moons", "--noise", "1e308"], "argument --noise: expected a number from 0 to 1,000, got '1e308'"),
        (["train", "moons", "--noise", "1000.5"], "argument --noise: expected a number from 0 to 1,000"),
        (["train", "moons", "--lr", "1e308"], "argument --lr: expected a number > 0 and at most 1,000, got '1e308'"),
        (["train", "moons", "--epochs", "10001"], "argument --epochs: expected a whole number from 1 to 10,000"),
        # was "Python int too large to convert to C ssize_t", after building the model
        (["train", "moons", "--epochs", "9" * 30], "argument --epochs: expected a whole number from 1 to 10,000"),
        (["train", "moons", "--epochs", "9" * 5000], "argument --epochs: expected a whole number from 1 to 10,000"),
        (["train", "moons", "--samples", "10001"], "argument --samples: expected a whole number from 1 to 10,000"),
        # was a MemoryError, or the machine out of memory
        (["train", "moons", "--samples", "99999999999999999999"], "argument --samples: expected a whole number from 1"),
        (["train", "moons", "--hidden", "100000000"], "argument --hidden: expected layer sizes like 16,16: at most 10, each from 1 to 1,000"),
        # was an OverflowError traceback
        (["train", "moons", "--hidden", "1" * 30], "argument --hidden: expected layer sizes like 16,16: at most 10, each from 1 to 1,000"),
        (["train", "moons", "--hidden", ",".join(["2"] * 11)], "argument --hidden: expected layer sizes like 16,16: at most 10,"),
        (["train", "moons", "--seed", "-1"], "argument --seed: expected a whole number from 0 to 4,294,967,295, got '-1'"),
        (["train", "moons", "--seed", str(2**32)], "argument --seed: expected a whole number from 0 to 4,294,967,295"),
        (["train", "moons", "--seed", "9" * 5000], "argument --seed: expected a whole number from 0 to 4,294,967,295"),
        (["train", "moons", "--hidden", "1000,1000"],
         "--hidden 1000,1000 makes an MLP 2 → 1000 → 1000 → 1 of 1,005,001 parameters; the limit is 10,000"),
        (["train", "moons", "--samples", "10000"],
         "10,000 samples × 337 parameters is 3,370,000 parameter uses per step (each a node of the graph); "
         "the limit is 2,000,000: use fewer --samples or smaller --hidden layers"),
        (["train", "moons", "--epochs", "10000", "--samples", "200"],
         "10,000 epochs × 200 samples × 337 parameters is 674,000,000 parameter uses; the limit is 500,000,000: "
         "use at most 7,418 epochs"),
        (["train", "moons", "--html", "run.htm"], "--html needs a file name ending in .html"),
        (["train", "moons", "--html", "no/such/dir/run.html"], "does not exist"),
        (["train", "moons", "--no-plot", "--html", "run.html"], "--no-plot writes nothing"),
    ],
)
def test_train_user_errors_are_one_line_and_exit_2(capsys, monkeypatch, tmp_path, argv, match):
    monkeypatch.chdir(tmp_path)  # where the default output folder would go
    status, out, err = run(capsys, *argv)
    assert_one_line_error(status, out, err, match)
    assert out == ""
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


@pytest.mark.parametrize("name", ["a" * 251 + ".html", "a\0b.html"])
def test_train_with_an_unusable_html_path_is_refused_before_training(capsys, monkeypatch, tmp_path, name):
    # issue 21, item 15: a name the file system refuses (too long, a NUL) trained first, then failed
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("tracegrad.nn.fit", lambda *args, **kwargs: pytest.fail("trained before refusing"))
    status, out, err = run(capsys, "train", "moons", *QUICK, "--html", name)
    assert_one_line_error(status, out, err, "cannot write")
    assert out == "" and list(tmp_path.iterdir()) == []


def test_train_output_folder_that_is_a_file(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    status, out, err = run(capsys, "train", "moons", *QUICK, "--out", str(blocker))
    assert_one_line_error(status, out, err, "cannot create the directory")


def test_train_that_overflows_is_one_line_and_exit_2(capsys, monkeypatch):
    # the bounds on --lr and --noise keep training finite; should fit() still diverge, one line
    def diverged(*args, **kwargs):
        raise OverflowError("fit(): training diverged: the loss is inf, beyond what a float can hold")

    monkeypatch.setattr("tracegrad.nn.fit", diverged)
    status, out, err = run(capsys, "train", "moons", *QUICK, "--no-plot")
    assert status == 2 and "final loss" not in out
    assert err == "tracegrad: error: training stopped: fit(): training diverged: the loss is inf, beyond what a float can hold\n"


@pytest.mark.parametrize("dataset", ["moons", "squares"])
def test_training_at_the_largest_learning_rate_and_noise_stays_finite(capsys, dataset):
    status, out, err = run(capsys, "train", dataset, *QUICK, "--lr", "1000", "--noise", "1000", "--no-plot")
    assert status == 0, err
    assert "final loss" in out and "inf" not in out and "nan" not in out


@pytest.mark.parametrize("option, largest, default", [
    ("--epochs", "10000", "40"), ("--samples", "10000", "100"), ("--lr", "1000", "0.1"),
    ("--noise", "1000", "0.1"), ("--seed", "4294967295", "0"), ("--hidden", ",".join(["1000"] * 10), "16,16"),
])
def test_each_bound_is_allowed_and_documented(capsys, option, largest, default):
    from tracegrad.viz.cli import _parser

    _parser().parse_args(["train", "moons", option, largest])  # the bound itself is allowed
    status, out, err = run(capsys, "train", "--help")
    help_text = " ".join(out.split())
    bound = f"{int(float(largest.split(',')[0])):,}"
    assert f"{option} " in help_text and f"default {default}" in help_text and f"at most {bound}" in help_text


def test_the_bounds_are_in_the_readme():
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8").split())
    for text in ("--epochs` at most 10,000", "`--samples` at most 10,000", "at most 10 hidden layers of at most 1,000",
                 "10,000 parameters", "2,000,000", "500,000,000", "`--lr` at most 1,000", "`--noise` at most 1,000",
                 "`--seed` from 0 to 4,294,967,295", "`--digits` from 1 to 17"):
        assert text in readme, text


# --- help, version, walkthrough ----------------------------------------------


def test_help_and_version_exit_0(capsys):
    status, out, err = run(capsys, "--help")
    assert status == 0 and "trace" in out and "train" in out
    status, out, err = run(capsys, "trace", "--help")
    assert status == 0 and "NAME=VALUE" in out
    status, out, err = run(capsys, "--version")
    assert status == 0 and out.startswith("tracegrad ")


def test_walkthrough_traces_both_examples_and_names_its_files(capsys, tmp_path):
    out_dir = tmp_path / "walk"
    status, out, err = run(capsys, "--out", str(out_dir))
    assert status == 0, err
    assert "grad(w) += x · grad(w*x) = 2 · 18 = 36" in out  # square_neuron
    assert "L = 81 -> 16" in out  # one step with learning rate 1
    assert "dL/dw = 2(z - y)·x = 36" in out  # and why the blog post's 2wx = 12 is not the gradient
    assert "-0.13056" in out and "0.083232" in out  # network_221
    assert "L2.N0.b = 0.2 - 0.1·(-0.408) = 0.2408" in out  # the blog post's updated bias
    for name in ("square_neuron.svg", "square_neuron.html", "network_221.svg", "network_221.html"):
        path = out_dir / name
        assert path.stat().st_size > 0
        assert str(path) in out
    # and both pages end with the update and the forward pass it leads to
    for name, title in (("square_neuron", "L = 81 → 16"), ("network_221", "C = 0.083232 → 0.0592067")):
        page = (out_dir / f"{name}.html").read_text(encoding="utf-8")
        assert "learning rate" in page and title in page


# --- the installed console script ----------------------------------------------


def _script():
    found = shutil.which("tracegrad") or shutil.which("tracegrad", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.skip("the tracegrad console script is not installed (pip install -e .)")
    return found


def test_console_script_runs():
    done = subprocess.run([_script(), "trace", "x*x", "x=3"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "grad(x)" in done.stdout


@pytest.mark.parametrize(
    "argv", [["nonsense"], ["trace", "open('/etc/passwd')"], ["trace", "x*y", "x=1"], ["train", "nowhere"]]
)
def test_console_script_errors_are_one_line_no_traceback(argv):
    done = subprocess.run([_script(), *argv], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("tracegrad: error: ")
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_console_script_output_in_a_legacy_encoding(encoding):
    # the trace's × · ≤ cannot be encoded; the output says ? there instead of failing
    env = dict(os.environ, PYTHONIOENCODING=encoding, PYTHONUTF8="0")
    done = subprocess.run([_script(), "trace", "network_221"], capture_output=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    out = done.stdout.decode(encoding)
    assert "0.083232" in out and "?" in out


# --- a fuzz of whole command lines ---------------------------------------------------

# Values a hostile or careless user might give any numeric option: beyond every bound,
# not numbers at all, or valid and small. Valid values that mean a lot of work (--epochs
# 5000) are left out, so every example finishes in seconds; the bounds are tested above.
_VALUES = ["0", "-1", "1", "2", "3", "0.5", "17", "18", "1000.5", "10001", "4294967296", "1e308",
           "-1e308", "1e-320", "nan", "inf", "-inf", "9" * 30, "9" * 5000, "0x10", "1_0", "", " ", "²", "3,2",
           "2,2", "0,1", "1000,1000", ",".join(["1"] * 11), "x", "-", "--"]
_WORDS = ["trace", "train", "square_neuron", "network_221", "square", "221", "moons", "circles", "xor", "spiral",
          "squares", "mnist",
          "x*y + 1", "tanh(w*x + b)", "log(x)", "x / y", "x ** 1000", "+".join(["1"] * 300), "x.__class__",
          "open('f')", "x=2", "y=-3", "w=0.5", "b=1e308", "x=nan", "x", "=2", "hinge", "cross_entropy", "mse"]
_OPTIONS = ["--out", "--svg", "--png", "--html", "--dot", "--digits", "--epochs", "--lr", "--hidden", "--loss",
            "--samples", "--noise", "--seed", "--plot", "--no-plot", "--no-progress", "--help", "--version",
            "--bogus", "-h", "--"]
_PATHS = ["g.svg", "g.png", "page.html", "g.dot", "p.pdf", "plot.png", ".svg", "no/such/dir/g.svg", "out", "."]
# A train run in the fuzz starts from a tiny setting, which the fuzzed options then override.
_CHEAP = ["--epochs", "2", "--samples", "12", "--hidden", "3", "--no-plot", "--no-progress"]
_TOKEN = st.one_of(
    st.sampled_from(_VALUES), st.sampled_from(_WORDS), st.sampled_from(_OPTIONS), st.sampled_from(_PATHS),
    st.text(st.characters(blacklist_characters="\x00"), max_size=12),  # an OS argument cannot hold NUL
)


class _TookTooLong(Exception):
    pass


@contextlib.contextmanager
def _time_guard(seconds, argv):
    """Fail (not hang) if one command runs longer than seconds: a generous guard, not a timing test."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def stop(signum, frame):
        raise _TookTooLong(f"tracegrad {argv!r} ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=300)
@given(head=st.sampled_from([[], ["trace"], ["train"]]), tail=st.lists(_TOKEN, max_size=8))
def test_any_command_line_exits_0_or_2_with_one_line(fuzz_folder, head, tail):
    argv = []
    for token in head + tail:
        argv += ["train", *_CHEAP] if token == "train" else [token]
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(fuzz_folder)  # relative output paths land in the test's folder
    try:
        with _time_guard(120, argv), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(argv)
    finally:
        os.chdir(here)
    if status == 2:
        lines = err.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tracegrad: error: "), (argv, err.getvalue())
    else:
        assert status == 0 and err.getvalue() == "", (argv, status, err.getvalue())


@pytest.mark.parametrize("dataset", ["moons", "circles", "xor", "spiral", "squares"])
def test_train_reports_the_players_last_step(capsys, tmp_path, dataset):
    from page_helpers import data_of

    status, out, err = run(capsys, "train", dataset, *QUICK, "--samples", "40", "--out", str(tmp_path))
    assert status == 0, err
    data = data_of((tmp_path / f"train-{dataset}.html").read_text(encoding="utf-8"))
    line = next(line for line in out.splitlines() if line.startswith("final loss"))
    assert line.startswith(f"final loss {data['loss'][-1]:.4g}")
    assert f"(after the last update, step {data['steps'][-1]}: the player's last step)" in line
    if data["accuracy"]:
        assert f"accuracy {data['accuracy'][-1]:.1%} on the training samples" in line
    else:
        assert "accuracy" not in line
    # without a page, the same numbers, computed for the model as training left it
    status, out, err = run(capsys, "train", dataset, *QUICK, "--samples", "40", "--no-plot")
    assert status == 0, err
    assert next(line for line in out.splitlines() if line.startswith("final loss")) == line


@pytest.mark.parametrize("out", [None, "runs/today/moons"])
def test_an_interrupted_train_leaves_no_empty_folder_it_made(capsys, tmp_path, monkeypatch, out):
    import tracegrad.viz.recording

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()  # already there: stays
    monkeypatch.setattr(tracegrad.viz.recording, "record", interrupted)
    status = main(["train", "moons", "--epochs", "2", "--no-progress"] + (["--out", out] if out else []))
    assert status == 130 and "interrupted" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"] and not any((tmp_path / "runs").iterdir())


def test_an_interrupted_train_leaves_a_folder_that_was_there_before(capsys, tmp_path, monkeypatch):
    import tracegrad.viz.recording

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tracegrad-out").mkdir()
    monkeypatch.setattr(tracegrad.viz.recording, "record", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    assert main(["train", "moons", "--epochs", "2", "--no-progress"]) == 130
    assert (tmp_path / "tracegrad-out").is_dir()


# --- the README's sample sessions of `tracegrad trace`, as the command prints them ---------


def readme_trace_sessions():
    """[(argv, expected output)] for each `$ tracegrad trace ...` in the README's console blocks."""
    import re
    import shlex

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    sessions = []
    for block in re.findall(r"```console\n(.*?)```", readme, re.S):
        for command, output in re.findall(r"^\$ tracegrad (trace .*)\n((?:(?!\$ ).*\n)*)", block, re.M):
            sessions.append((shlex.split(command), output))
    return sessions


def test_the_readme_shows_what_tracegrad_trace_prints(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the sample writes neuron.svg and neuron.html; nowhere/ does not exist
    sessions = readme_trace_sessions()
    assert len(sessions) >= 6 and any(len(output.splitlines()) > 10 for _, output in sessions)
    for argv, expected in sessions:
        status, out, err = run(capsys, *argv)
        assert out + err == expected, argv
        assert status == (0 if out else 2), argv


@pytest.mark.parametrize("text, suggestion", [("2x", "write 2*x"), ("3.5y + 1", "write 3.5*y"),
                                              ("x + 2 y", "write 2*y"), (".5x", "write .5*x")])
def test_a_number_written_before_a_name_is_answered_with_the_product(capsys, text, suggestion):
    status, out, err = run(capsys, "trace", text, "x=1", "y=2") if "y" in text else run(capsys, "trace", text, "x=1")
    assert_one_line_error(status, out, err, suggestion)
    assert "invalid decimal literal" not in err
    assert run(capsys, "trace", "2e3*x", "x=1")[0] == 0  # 2e3 is a number: no product was meant


def test_a_value_for_a_name_the_expression_does_not_use_is_refused(capsys):
    status, out, err = run(capsys, "trace", "x*x", "x=2", "y=4")
    assert_one_line_error(status, out, err, "y=4: the expression 'x*x' does not use this variable (its variables: x)")
    status, out, err = run(capsys, "trace", "2 + 3", "a=1", "b=2")
    assert_one_line_error(status, out, err, "a=1 b=2: the expression '2 + 3' does not use these variables "
                                            "(its variables: none)")


def test_a_page_from_an_earlier_run_is_replaced_and_the_command_says_so(capsys, tmp_path):
    folder = tmp_path / "out"
    status, out, _ = run(capsys, "train", "xor", "--epochs", "2", "--no-progress", "--out", str(folder))
    assert status == 0 and "replaces" not in out
    status, out, _ = run(capsys, "train", "xor", "--epochs", "2", "--hidden", "2", "--no-progress",
                         "--out", str(folder))
    page = folder / "train-xor.html"
    assert status == 0 and f"wrote {page}  (the training player; it replaces the page an earlier run wrote there" in out
    assert "MLP 2 → 2 → 1" in page.read_text(encoding="utf-8")  # the page is the new run's


def test_a_run_whose_loss_grows_is_warned_in_one_line(capsys, tmp_path):
    status, out, err = run(capsys, "train", "moons", "--lr", "100", "--no-progress", "--no-plot")
    assert status == 0
    [warning] = err.splitlines()
    assert warning.startswith("warning: the loss grew from ") and "the learning rate 100 is probably too large" in warning
    # the numbers it names are the first epoch's loss and the final one the command printed
    final = float(out.split("final loss ")[1].split(",")[0].split(" ")[0])
    assert f"to {final:.4g}:" in warning and final > 2 * float(warning.split("grew from ")[1].split(" ")[0])
    status, out, err = run(capsys, "train", "moons", "--no-progress", "--no-plot")
    assert status == 0 and err == ""  # the default learning rate converges: no warning
