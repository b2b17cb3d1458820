"""What recording a training run costs, and how large its player page is.

A 2-16-16-1 network on 100 moons, 100 epochs of Adam on the hinge loss (the
issue's case): nn.fit alone, then viz.record (fit plus a frame per step), each
run several times interleaved; prints the medians, their ratio (the bound is
2.0), and the size of the page (the bound is 5 MB). Times are this process's
CPU time (``time.process_time``), which other jobs on a shared machine inflate
much less than the wall clock (``--wall`` for the wall clock).
Run: python tests/benchmarks/bench_recording.py [--repeats N] [--epochs N] [--scalar]
"""

import argparse
import os
import statistics
import time

from tracegrad.nn import MLP, Adam, fit, make_moons
from tracegrad.viz import record


CLOCK = time.process_time


def train(epochs, batched, recorded):
    X, y = make_moons(100, noise=0.1, seed=1, signed=True)
    model = MLP(2, [16, 16, 1], seed=1)
    optimizer = Adam(model.parameters(), lr=0.1)
    start = CLOCK()
    if recorded:
        result = record(model, X, y, loss="hinge", optimizer=optimizer, epochs=epochs, progress=False,
                        batched=batched)
    else:
        result = fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=epochs, progress=False,
                     batched=batched)
    return CLOCK() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--scalar", action="store_true", help="train on fit's scalar path (batched=False)")
    parser.add_argument("--wall", action="store_true", help="time with the wall clock, not CPU time")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.perf_counter if args.wall else CLOCK
    batched = False if args.scalar else None
    plain, recorded = [], []
    for _ in range(args.repeats):
        plain.append(train(args.epochs, batched, False)[0])
        seconds, run = train(args.epochs, batched, True)
        recorded.append(seconds)
    start = time.perf_counter()
    size = len(run.to_html().encode("utf-8"))
    page_seconds = time.perf_counter() - start
    fit_time, record_time = statistics.median(plain), statistics.median(recorded)
    path = "scalar" if args.scalar else "batched (fit's default)"
    clock = "wall-clock" if args.wall else "CPU"
    print(f"2-16-16-1 on 100 moons, {args.epochs} epochs, fit on the {path} path, {clock} time, median of "
          f"{args.repeats}, load average {os.getloadavg()[0]:.1f}:")
    print(f"  fit alone            {fit_time:8.3f} s")
    print(f"  record (fit + {len(run)} frames) {record_time:8.3f} s   ratio {record_time / fit_time:.2f} (bound 2.0)")
    print(f"  to_html              {page_seconds:8.3f} s")
    print(f"  page size            {size / 1e6:8.2f} MB  (bound 5 MB)")


if __name__ == "__main__":
    main()
