"""Hypothesis settings for the whole suite, tracegrad built and installed from a wheel, and Chromium
for the tests of pages."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import settings

from page_helpers import CHROMIUM_ARGS, chromium

# No deadlines: these machines are shared and noisy, and a slow example says
# nothing about correctness (speed is measured in tests/benchmarks/).
settings.register_profile("dev", deadline=None)
# CI replays the same examples on every run, so a red CI is always reproducible;
# local runs keep exploring new examples.
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


class InstalledWheel:
    """tracegrad's wheel (``names``: the files in it, ``metadata``: its METADATA text),
    installed with ``pip --target`` into ``target``; ``env``: PYTHONPATH set to it."""

    def __init__(self, wheel, target):
        self.wheel = wheel
        archive = zipfile.ZipFile(wheel)
        self.names = archive.namelist()
        self.metadata = archive.read(next(n for n in self.names if n.endswith("METADATA"))).decode()
        self.target = target
        self.env = dict(os.environ, PYTHONPATH=str(target))


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory):
    """Built and installed once for the session: a pip wheel build takes seconds."""
    root = Path(__file__).resolve().parent.parent
    folder = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(folder / "dist"), str(root)], capture_output=True, text=True)
    if built.returncode != 0:
        # locally a missing build tool may skip; in CI these tests must run, so it fails
        message = f"cannot build tracegrad's wheel: {built.stderr.strip()[-400:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    wheel = next((folder / "dist").glob("tracegrad-*.whl"))
    target = folder / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True)
    return InstalledWheel(wheel, target)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through Playwright, one per test module; skips where either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = chromium()
    if executable is None:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
