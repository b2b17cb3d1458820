"""viz.live and viz.explore in a real JupyterLab: redraws a second, and slider-to-redraw latency.

    python tests/benchmarks/bench_live.py

Starts jupyter lab on 127.0.0.1 (as tests/test_viz_live_jupyterlab.py does),
opens a notebook in headless Chromium and measures, on the page:

- live: a 2-16-16-1 MLP on moons (100 samples, hinge loss, Adam) playing "as
  fast as it goes" for 8 seconds: the frames the page drew a second (each with
  the boundary, the curves, the network and the table of the newest step) and
  the optimizer steps a second; the page's share: the milliseconds its main
  thread was busy (JupyterLab's own work included) per redraw, and of them
  layout and script, from Chromium's performance counters; the kernel's share,
  timed in the same process: one step, one frame made (LiveRun.frame()), and
  one frame made and sent to the page (the widget's state synced).
- explore: network_221, a slider moved 40 times (one move at a time, each
  waiting for its redraw): the time from the slider's input event to the
  moment the root's number on the page changed, median and 90th percentile.

Timings on a shared machine move with its load: read them as rough numbers.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from jupyterlab_helpers import Notebook, browsing  # noqa: E402

LIVE = ["import json\n"
        "from tracegrad.nn import MLP, Adam, make_moons\n"
        "from tracegrad import viz\n"
        "X, y = make_moons(100, noise=0.1, seed=0, signed=True)\n"
        "model = MLP(2, [16, 16, 1], seed=0)\n"
        "view = viz.live(model, X, y, loss='hinge', optimizer=Adam(model.parameters(), lr=0.002))\n"
        "view.speed = 0\n"
        "view",
        "import timeit\n"
        "view.pause()\n"
        "step = min(timeit.repeat(lambda: view.run.step(1), number=20, repeat=3)) / 20\n"
        "frame = min(timeit.repeat(view.run.frame, number=20, repeat=3)) / 20\n"
        "sent = min(timeit.repeat(view._publish, number=20, repeat=3)) / 20\n"
        "print('KERNEL', step * 1000, frame * 1000, sent * 1000)"]

EXPLORE = ["from tracegrad import viz\n"
           "from tracegrad.viz.examples import network_221\n"
           "loss, _ = network_221()\n"
           "ex = viz.explore(loss)\n"
           "ex"]

COUNT_FRAMES = """(seconds) => new Promise(done => {
  const host = [...document.querySelectorAll('.jp-OutputArea-output div')].find(d => d.shadowRoot);
  const counter = host.shadowRoot.querySelector('[data-role=counter]');
  let frames = 0;
  const seen = new MutationObserver(() => { frames += 1; });
  seen.observe(counter, { childList: true, characterData: true, subtree: true });
  const first = counter.textContent;
  setTimeout(() => { seen.disconnect(); done([frames, first, counter.textContent]); }, seconds * 1000);
})"""

MOVE_SLIDER = """(position) => new Promise(done => {
  const host = [...document.querySelectorAll('.jp-OutputArea-output div')].find(d => d.shadowRoot);
  const root = host.shadowRoot.querySelector('[data-role=loss]');
  const slider = host.shadowRoot.querySelectorAll('.tg-leaf input[type=range]')[1];
  const before = root.textContent;
  const seen = new MutationObserver(() => {
    if (root.textContent !== before) { seen.disconnect(); done(performance.now() - started); }
  });
  seen.observe(root, { childList: true, characterData: true, subtree: true });
  slider.value = String(position);
  const started = performance.now();
  slider.dispatchEvent(new Event('input', { bubbles: true }));
})"""


def busy(counters):
    """Chromium's counters of the page's main thread: seconds spent in tasks, layout, style and script."""
    metrics = {m["name"]: m["value"] for m in counters.send("Performance.getMetrics")["metrics"]}
    return {name: metrics[name] for name in ("TaskDuration", "LayoutDuration", "RecalcStyleDuration",
                                             "ScriptDuration")}


def main():
    with tempfile.TemporaryDirectory() as folder, browsing(Path(folder)) as lab:

        notebook = Notebook(lab, "bench-live.ipynb", LIVE)
        page = notebook.page
        notebook.run(0)
        page.locator('[data-role="counter"]').wait_for(timeout=60_000)
        page.locator('[data-role="play"]').click()
        page.wait_for_timeout(1000)
        seconds = 8
        counters = page.context.new_cdp_session(page)
        counters.send("Performance.enable")
        before = busy(counters)
        frames, first, last = page.evaluate(COUNT_FRAMES, seconds)
        after = busy(counters)
        per_frame = {name: (after[name] - before[name]) * 1000 / max(1, frames) for name in after}
        steps = int(last.split()[1]) - int(first.split()[1])
        _, step_ms, frame_ms, sent_ms = notebook.printed(1, "KERNEL").split()
        print(f"live, moons 2-16-16-1 in JupyterLab: {frames / seconds:.1f} redraws/s, "
              f"{steps / seconds:.0f} steps/s (load average {os.getloadavg()[0]:.1f})")
        print(f"  page, per redraw: main thread busy {per_frame['TaskDuration']:.1f} ms, of it layout "
              f"{per_frame['LayoutDuration']:.1f} ms, style {per_frame['RecalcStyleDuration']:.1f} ms, "
              f"script {per_frame['ScriptDuration']:.1f} ms")
        print(f"  kernel: {float(step_ms):.2f} ms a step, {float(frame_ms):.2f} ms to make a frame, "
              f"{float(sent_ms):.2f} ms to make and send one")
        page.close()

        notebook = Notebook(lab, "bench-explore.ipynb", EXPLORE)
        page = notebook.page
        notebook.run(0)
        page.locator(".tg-leaf").first.wait_for(timeout=60_000)
        latencies = [page.evaluate(MOVE_SLIDER, 150 + 5 * k) for k in range(40)]
        latencies.sort()
        print(f"explore, network_221 in JupyterLab: slider to redraw {statistics.median(latencies):.0f} ms median, "
              f"{latencies[int(0.9 * len(latencies))]:.0f} ms at the 90th percentile ({len(latencies)} moves; "
              f"load average {os.getloadavg()[0]:.1f})")
        page.close()


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"({time.perf_counter() - started:.0f} s in all)")
