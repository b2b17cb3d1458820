"""viz.live in Notebook 7 (the `notebook` package), driven by Chromium as in JupyterLab's test.

The server, the browser, the notebook page and the live test's steps are
tests/jupyterlab_helpers.py's, as for JupyterLab; only the front end differs. Skipped
where Notebook 7 is not installed (it is in the test extra).
"""

import pytest

notebook_package = pytest.importorskip("notebook", reason="Notebook 7 (pip install notebook) is not installed")
if int(notebook_package.__version__.split(".")[0]) < 7:
    pytest.skip("Notebook 7 or later is needed (an older notebook has no JupyterLab widgets)", allow_module_level=True)

from jupyterlab_helpers import (browsing, plays_pauses_and_shows_what_the_kernel_holds,  # noqa: E402
                                reopened_without_its_kernel_shows_the_snapshot, saved_live_notebook)


def test_live_in_notebook_7_plays_pauses_and_shows_what_the_kernel_holds(tmp_path):
    with browsing(tmp_path, app="notebook") as server:
        plays_pauses_and_shows_what_the_kernel_holds(server, "live-notebook7.ipynb", shots="notebook7")


def test_a_saved_notebook_reopened_in_notebook_7_without_its_kernel_shows_the_snapshot(tmp_path):
    with browsing(tmp_path, app="notebook") as server:
        reopened_without_its_kernel_shows_the_snapshot(server, saved_live_notebook(server["folder"]))
