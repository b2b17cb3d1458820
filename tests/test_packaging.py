"""One import package, tracegrad: the wheel, a shared site-packages, micrograd's own tests.

These tests build and install the real wheel. Two of them take packages from
PyPI (HIPS autograd, micrograd's source distribution): where PyPI cannot be
reached they skip locally and fail in CI, like the wheel build itself.
"""

import os
import re
import subprocess
import sys
import tarfile
import textwrap
import venv
from pathlib import Path

import pytest

import tracegrad


def _needs_network(result, what):
    if result.returncode != 0:
        message = f"cannot {what}: {result.stderr.strip()[-300:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _pip(python, *args):
    return subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args],
                          capture_output=True, text=True)


def test_the_wheel_installs_no_top_level_name_but_tracegrad(installed_wheel):
    record = next(n for n in installed_wheel.names if n.endswith("RECORD"))
    top = {name.split("/")[0] for name in installed_wheel.names if not name.startswith(record.split("/")[0])}
    assert top == {"tracegrad"}
    for folder in ("tracegrad/engine.py", "tracegrad/backprop.py", "tracegrad/nn/module.py",
                   "tracegrad/viz/dot.py", "tracegrad/viz/pages/base.css"):
        assert folder in installed_wheel.names, folder
    metadata = installed_wheel.metadata
    for classifier in ("Intended Audience :: Education", "Intended Audience :: Science/Research",
                       "Framework :: Jupyter", "Programming Language :: Python :: 3.10",
                       "Programming Language :: Python :: 3.13"):
        assert f"Classifier: {classifier}" in metadata, classifier
    assert "Keywords:" in metadata and "Project-URL:" in metadata
    # graphviz-pure only where it has wheels; a system `dot` elsewhere
    (graphviz_pure,) = [line for line in metadata.splitlines() if line.startswith("Requires-Dist: graphviz-pure")]
    assert "platform_machine" in graphviz_pure and "emscripten" in graphviz_pure


def test_importing_the_engine_loads_neither_numpy_nor_nn_nor_viz():
    check = ("import sys, tracegrad; "
             "loaded = [m for m in ('numpy', 'tqdm', 'tracegrad.nn', 'tracegrad.viz', 'tracegrad.batch') "
             "if m in sys.modules]; print(loaded); "
             "tracegrad.Tape; print('numpy' in sys.modules); "
             "from tracegrad import nn; print(nn.MLP.__module__)")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd="/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["[]", "True", "tracegrad.nn.module"]


def test_micrographs_import_paths_reach_tracegrads_classes():
    from tracegrad import nn
    from tracegrad.engine import Value
    from tracegrad.nn import MLP, Layer, Module, Neuron

    assert Value is tracegrad.Value and nn.MLP is MLP
    assert issubclass(Neuron, Module) and issubclass(Layer, Module)
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        tracegrad.nothing  # noqa: B018


def _fresh_venv(folder):
    """A venv whose own site-packages comes first, and this venv's packages (numpy, ...) after it.

    tracegrad and HIPS autograd go into the fresh one with pip; the packages
    they depend on are borrowed, so the test downloads one small wheel only.
    """
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = next(p for p in sys.path if p.endswith("site-packages"))
    # appended after the fresh site-packages; its .pth files (the editable tracegrad) are not read
    Path(site, "borrowed.pth").write_text(ours + "\n")
    return python


def test_hips_autograd_and_tracegrad_live_side_by_side(installed_wheel, tmp_path):
    python = _fresh_venv(tmp_path / "venv")
    _needs_network(_pip(python, "install", "--no-deps", "autograd"), "install HIPS autograd from PyPI")
    installed = _pip(python, "install", "--no-deps", str(installed_wheel.wheel))
    assert installed.returncode == 0, installed.stderr
    elsewhere = tmp_path / "elsewhere"  # not the repository, where `import autograd` finds autograd/
    elsewhere.mkdir()
    hips = ("import autograd, autograd.numpy as anp; from autograd import grad, elementwise_grad; "
            "assert abs(grad(anp.tanh)(0.5) - (1 - anp.tanh(0.5) ** 2)) < 1e-12; print('hips ok')")
    ours = ("from tracegrad.engine import Value; from tracegrad import nn; "
            "x = Value(3.0); y = (x * x).relu(); y.backward(); assert x.grad == 6.0; print('ours ok')")

    def run(code):
        return subprocess.run([str(python), "-c", code], cwd=elsewhere, capture_output=True, text=True)

    assert run(hips).stdout.strip() == "hips ok", run(hips).stderr
    assert run(ours).stdout.strip() == "ours ok", run(ours).stderr
    walkthrough = subprocess.run([str(python.parent / "tracegrad")], cwd=elsewhere, capture_output=True,
                                 text=True)
    assert walkthrough.returncode == 0, walkthrough.stderr
    assert "square_neuron" in walkthrough.stdout

    assert _pip(python, "uninstall", "-y", "autograd").returncode == 0
    assert run(ours).stdout.strip() == "ours ok", run(ours).stderr
    _pip(python, "install", "--no-deps", "autograd")
    assert _pip(python, "uninstall", "-y", "tracegrad").returncode == 0
    assert run(hips).stdout.strip() == "hips ok", run(hips).stderr


@pytest.fixture(scope="module")
def micrograd_source(tmp_path_factory):
    """micrograd 0.1.0's source distribution from PyPI: its own tests and README's example."""
    folder = tmp_path_factory.mktemp("micrograd")
    got = _pip(sys.executable, "download", "--no-deps", "--no-binary", ":all:", "-d", str(folder),
               "micrograd==0.1.0")
    _needs_network(got, "download micrograd's source from PyPI")
    with tarfile.open(next(folder.glob("micrograd-*.tar.gz"))) as archive:
        archive.extractall(folder, filter="data") if sys.version_info >= (3, 12) else archive.extractall(folder)
    return next(folder.glob("micrograd-*/"))


def _with_tracegrad(text):
    """Only the word micrograd in the imports replaced, nothing else."""
    return re.sub(r"^(\s*)(from|import) micrograd\b", r"\1\2 tracegrad", text, flags=re.M)


def test_micrograds_own_tests_pass_on_tracegrad(micrograd_source, tmp_path):
    pytest.importorskip("torch")
    theirs = (micrograd_source / "test" / "test_engine.py").read_text()
    assert "from micrograd.engine import Value" in theirs
    (tmp_path / "test_micrograd_engine.py").write_text(_with_tracegrad(theirs))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "2 passed" in done.stdout


def test_micrograds_readme_example_prints_its_numbers_on_tracegrad(micrograd_source, tmp_path):
    readme = (micrograd_source / "README.md").read_text()
    (example,) = [block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "backward()" in block]
    script = tmp_path / "example.py"
    script.write_text(_with_tracegrad(example))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # the numbers micrograd's README says its example prints
    promised = re.findall(r"# prints (-?[\d.]+)", example)
    assert done.stdout.split() == promised and promised


def test_a_training_loop_written_for_micrograd_runs_with_the_imports_replaced(tmp_path):
    loop = textwrap.dedent("""\
        import random
        from micrograd.engine import Value
        from micrograd.nn import MLP

        random.seed(1337)
        xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
        ys = [1.0, -1.0, -1.0, 1.0]
        model = MLP(3, [4, 4, 1])
        for k in range(50):
            scores = [model(x) for x in xs]
            loss = sum(((s - y) ** 2 for s, y in zip(scores, ys)), Value(0.0))
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= 0.05 * p.grad
            if k == 0:
                print(f"{loss.data:.6f}")
        print(f"{loss.data:.6f}")
        """)
    losses = {}
    for name in ("micrograd", "tracegrad"):
        script = tmp_path / f"loop_on_{name}.py"
        script.write_text(loop if name == "micrograd" else _with_tracegrad(loop))
        done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
        if name == "micrograd" and "No module named 'micrograd'" in done.stderr:
            pytest.skip("micrograd is not installed")
        assert done.returncode == 0, done.stderr
        losses[name] = [float(number) for number in done.stdout.split()]
    assert losses["tracegrad"] == pytest.approx(losses["micrograd"], rel=1e-9)
    first, last = losses["tracegrad"]
    assert last < first / 4  # it learned
