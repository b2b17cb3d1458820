"""The tracegrad command: what it prints, what it writes, and one line + exit 2 for every mistake."""

import contextlib
import io
import os
import shutil
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viz.cli import main


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


def test_trace_square_prints_the_seed_000_numbers(capsys):
    status, out, err = run(capsys, "trace", "square")
    assert status == 0 and err == ""
    assert "L = (z - y)**2 = 9**2 = 81" in out
    assert "grad(w) += x · grad(w*x) = 2 · 18 = 36" in out
    assert "grad(b) += 1 · grad(w*x + b) = 1 · 18 = 18" in out


def test_trace_221_prints_the_seed_001_numbers(capsys):
    status, out, err = run(capsys, "trace", "221")
    assert status == 0 and err == ""
    for text in ("0.083232", "-0.408", "-0.13056", "-0.2448", "-0.1224", "-0.02448"):
        assert text in out


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
        (["trace", "cube"], "unknown example 'cube'; examples: square, 221"),
        (["trace", "square", "x=2"], "takes no variables"),
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
        (["trace", "square", "--svg", "g.png"], "--svg needs a file name ending in .svg"),
        (["trace", "square", "--svg", ".svg"], "--svg needs a file name ending in .svg"),
        (["trace", "square", "--png", "out/.PNG"], "--png needs a file name ending in .png"),
        (["trace", "square", "--digits", "0"], "argument --digits"),
        (["trace", "square", "--svg"], "expected one argument"),
        (["trace", "+".join(["1"] * 300), "--dot", "g.dot"], "too many to draw legibly"),
        (["--out", "somewhere", "trace", "square"], "--out before a command is the walkthrough's"),
        (["--out", "somewhere", "train", "moons"], "use tracegrad train DATASET --out DIR"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(capsys, argv, match):
    status, out, err = run(capsys, *argv)
    assert_one_line_error(status, out, err, match)
    assert out == ""


@pytest.mark.parametrize("kind", ["svg", "png", "html", "dot"])
def test_unwritable_output_paths(capsys, tmp_path, kind):
    missing = tmp_path / "no-such-dir" / f"g.{kind}"
    status, out, err = run(capsys, "trace", "square", f"--{kind}", str(missing))
    assert_one_line_error(status, out, err, "does not exist")
    folder = tmp_path / f"folder.{kind}"
    folder.mkdir()
    status, out, err = run(capsys, "trace", "square", f"--{kind}", str(folder))
    assert_one_line_error(status, out, err, "it is a directory")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_output_in_a_read_only_folder(capsys, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        status, out, err = run(capsys, "trace", "square", "--svg", str(folder / "g.svg"))
    finally:
        folder.chmod(0o700)
    assert_one_line_error(status, out, err, "no permission")


def test_output_folder_without_write_permission(capsys, tmp_path, monkeypatch):
    # As root every folder is writable, so the permission check is exercised by pretending.
    monkeypatch.setattr("viz.cli.os.access", lambda path, mode: False)
    status, out, err = run(capsys, "trace", "square", "--svg", str(tmp_path / "g.svg"))
    assert_one_line_error(status, out, err, "no permission to write in")


def test_a_write_that_fails_midway_is_one_line(capsys, tmp_path, monkeypatch):
    def disk_full(self, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("viz.dot.Drawing.save", disk_full)
    status, out, err = run(capsys, "trace", "square", "--svg", str(tmp_path / "g.svg"))
    assert status == 2 and err == f"tracegrad: error: cannot write {tmp_path / 'g.svg'}: No space left on device\n"


def test_walkthrough_output_folder_that_cannot_be_made(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    status, out, err = run(capsys, "--out", str(blocker / "inside"))
    assert_one_line_error(status, out, err, "cannot create the directory")


# --- tracegrad train ---------------------------------------------------------

# A few epochs on a few samples: these tests check the command, not the learning.
QUICK = ["--epochs", "3", "--samples", "24", "--hidden", "4", "--no-progress"]


def test_train_moons_reports_and_plots(capsys, tmp_path):
    status, out, err = run(capsys, "train", "moons", *QUICK, "--out", str(tmp_path / "plots"))
    assert status == 0, err
    assert "moons: 24 samples; MLP 2 → 4 → 1" in out and "hinge loss" in out
    assert "final loss" in out and "accuracy" in out
    plot = tmp_path / "plots" / "train-moons.png"
    assert f"wrote {plot}" in out
    assert plot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("dataset, loss", [("spiral", None), ("squares", None), ("xor", "bce_with_logits"),
                                           ("circles", "cross_entropy")])
def test_train_every_kind_of_data_set(capsys, tmp_path, dataset, loss):
    argv = ["train", dataset, *QUICK, "--plot", str(tmp_path / "p.png")]
    if loss:
        argv += ["--loss", loss]
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    assert (tmp_path / "p.png").stat().st_size > 0


def test_train_without_a_plot(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "train", "xor", *QUICK, "--no-plot")
    assert status == 0 and "wrote" not in out
    assert list(tmp_path.iterdir()) == []


def test_train_progress_bar_goes_to_stderr(capsys, tmp_path):
    argv = ["train", "moons", "--epochs", "2", "--samples", "10", "--hidden", "2", "--no-plot"]
    status, out, err = run(capsys, *argv)
    assert status == 0 and "2/2" in err and "2/2" not in out


def test_train_without_matplotlib_says_how_to_install_it(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    status, out, err = run(capsys, "train", "moons", *QUICK, "--out", str(tmp_path))
    assert_one_line_error(status, out, err, "tracegrad train needs matplotlib to plot: pip install 'tracegrad[plot]'")
    assert list(tmp_path.iterdir()) == []  # refused before training, nothing written


@pytest.mark.parametrize(
    "argv, match",
    [
        (["train"], "train needs a data set: moons, circles, xor, spiral, squares"),
        (["train", "mnist"], "unknown data set 'mnist'; choose one of moons"),
        (["train", "moons", "--epochs", "0"], "argument --epochs: expected a whole number >= 1, got '0'"),
        (["train", "moons", "--epochs", "ten"], "argument --epochs: expected a whole number, got 'ten'"),
        (["train", "moons", "--epochs", "-3"], "argument --epochs: expected a whole number >= 1, got '-3'"),
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
        (["train", "moons", "--noise", "1e308"], "make_moons: noise 1e+308 gives numbers too large"),
    ],
)
def test_train_user_errors_are_one_line_and_exit_2(capsys, monkeypatch, tmp_path, argv, match):
    monkeypatch.chdir(tmp_path)  # where the default output folder would go
    status, out, err = run(capsys, *argv)
    assert_one_line_error(status, out, err, match)
    assert out == ""
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


def test_train_output_folder_that_is_a_file(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    status, out, err = run(capsys, "train", "moons", *QUICK, "--out", str(blocker))
    assert_one_line_error(status, out, err, "cannot create the directory")


@pytest.mark.parametrize("argv, match", [
    (["moons", "--lr", "1e308"], "training stopped: fit(): training diverged"),  # was "final loss 0"
    (["squares", "--lr", "1e308"], "training stopped:"),  # the loss's square overflowed first
    (["squares", "--noise", "1e200"], "training stopped:"),  # targets of 1e200, squared
])
def test_train_that_overflows_is_one_line_and_exit_2(capsys, argv, match):
    status, out, err = run(capsys, "train", *argv, "--epochs", "3", "--no-progress", "--no-plot")
    assert status == 2
    assert "final loss" not in out
    assert err.count("\n") == 1 and err.startswith("tracegrad: error: ") and match in err, err


# --- help, version, walkthrough ----------------------------------------------


def test_help_and_version_exit_0(capsys):
    status, out, err = run(capsys, "--help")
    assert status == 0 and "trace" in out and "train" in out
    status, out, err = run(capsys, "trace", "--help")
    assert status == 0 and "NAME=VALUE" in out
    status, out, err = run(capsys, "--version")
    assert status == 0 and out.startswith("tracegrad ")


def test_walkthrough_traces_both_seeds_and_names_its_files(capsys, tmp_path):
    out_dir = tmp_path / "walk"
    status, out, err = run(capsys, "--out", str(out_dir))
    assert status == 0, err
    assert "grad(w) += x · grad(w*x) = 2 · 18 = 36" in out  # seed 000
    assert "L = 81 -> 16" in out  # one step with learning rate 1
    assert "dL/dw = 2(z - y)·x = 36" in out  # and why the seed's 2wx = 12 is not the gradient
    assert "-0.13056" in out and "0.083232" in out  # seed 001
    assert "L2.N0.b = 0.2 - 0.1·(-0.408) = 0.2408" in out  # the seed's updated bias
    for name in ("square.svg", "square.html", "221.svg", "221.html"):
        path = out_dir / name
        assert path.stat().st_size > 0
        assert str(path) in out


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
    done = subprocess.run([_script(), "trace", "221"], capture_output=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    out = done.stdout.decode(encoding)
    assert "0.083232" in out and "?" in out
