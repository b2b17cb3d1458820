"""The README's examples run as written, and CI runs the README's own test command."""

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def shell_commands():
    return re.findall(r"```sh\n(.+?)\n```", README.read_text(encoding="utf-8"))


def test_readme_examples_run_as_written():
    result = doctest.testfile(
        str(README),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted >= 20, "the README lost its examples"
    assert result.failed == 0


def test_readme_has_the_two_commands():
    install_and_run, install_and_test = shell_commands()[:2]
    assert install_and_run.endswith("pip install -e . && tracegrad")
    assert install_and_test.endswith('pip install -e ".[test]" && pytest')


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install_and_test = shell_commands()[1]
    assert install_and_test in ci.splitlines()
