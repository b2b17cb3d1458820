"""How long Graphviz takes to lay out a hard graph that draw() accepts, with and without viz's limits.

The 150-term expression x*y + x*y + ... (299 operations, two leaves used 150
times each) took minutes with Graphviz's defaults. viz.dot.LARGE_LAYOUT_LIMITS caps
crossing minimisation (mclimit, remincross) and network simplex (nslimit,
nslimit1, searchsize). Run: python tests/benchmarks/bench_layout.py
It prints seconds per renderer; the unlimited runs stop at --timeout.
"""

import argparse
import os
import re
import subprocess
import sys
import time

from tracegrad import Value
from tracegrad.viz import draw
from tracegrad.viz.dot import LARGE_LAYOUT_LIMITS


def hard_graph(terms):
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    total = x * y
    for _ in range(terms - 1):
        total = total + x * y
    return total


def seconds(program, source, timeout):
    start = time.perf_counter()
    try:
        subprocess.run([program, "-Tsvg"], input=source.encode(), capture_output=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return f"> {timeout} s (stopped)"
    return f"{time.perf_counter() - start:.1f} s"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--terms", type=int, default=150)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    root = hard_graph(args.terms)
    limited = draw(root, max_nodes=None).source
    unlimited = re.sub(r" (mclimit|nslimit|nslimit1|searchsize|remincross|splines)=[^\s\]]+", "", limited)
    assert all(name not in unlimited.split("\n")[1] for name in LARGE_LAYOUT_LIMITS)
    pure = os.path.join(os.path.dirname(sys.executable), "graphviz-pure")
    for program in ("/usr/bin/dot", pure):
        if not os.path.exists(program):
            continue
        print(f"{os.path.basename(program):14} with limits {seconds(program, limited, args.timeout):>16}   "
              f"without {seconds(program, unlimited, args.timeout)}")


if __name__ == "__main__":
    main()
