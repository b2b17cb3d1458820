"""What the node makers' keyword arguments cost: _binary(out, x, y, local_x=y, local_y=x, op="*")
against the same call with positional arguments.

Each worker process recompiles the engine's _binary, Value.__add__ and Value.__mul__ from their
own source, in the engine's globals, either as they are (keywords) or with the keywords taken out
of _binary's signature and of the calls (positional), so the two variants differ in the calling
convention alone. A worker builds x1*w1 + x2*w2 + ... + xn*wn (n = 100,000: 200,000 calls of
_binary) and back-propagates it, several times, and reports its median seconds. The workers take
turns, three each, and the median of their medians counts. Run:
python tests/benchmarks/bench_keywords.py [--terms N]
"""

import argparse
import inspect
import json
import re
import statistics
import subprocess
import sys
import textwrap
import time


def compile_variant(positional):
    """Install recompiled copies of _binary, Value.__add__ and Value.__mul__ into tracegrad.engine."""
    from tracegrad import engine

    names = {"_binary": engine._binary, "__add__": engine.Value.__add__, "__mul__": engine.Value.__mul__}
    made = {}
    for name, function in names.items():
        source = textwrap.dedent(inspect.getsource(function))
        if positional:
            source = source.replace("*, local_x, local_y, op", "local_x, local_y, op")
            source = re.sub(r"\b(local_x|local_y|op)=", "", source) if name != "_binary" else source
        namespace = {}
        exec(compile(source, f"<{name}>", "exec"), engine.__dict__, namespace)  # noqa: S102 (our own source)
        made[name] = namespace[name]
    engine._binary = made["_binary"]
    engine.Value.__add__ = made["__add__"]
    engine.Value.__mul__ = made["__mul__"]


def worker(positional, terms, repeats):
    compile_variant(positional)
    from tracegrad import Value

    xs = [Value(0.5 + i % 7) for i in range(terms)]
    ws = [Value(0.25 - i % 5) for i in range(terms)]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        total = xs[0] * ws[0]
        for x, w in zip(xs[1:], ws[1:]):
            total = total + x * w
        total.backward()
        times.append(time.perf_counter() - start)
        assert xs[1].grad == ws[1].data  # the variant computes what the engine does
        for v in xs + ws:
            v.grad = 0.0
        del total
    return statistics.median(times)


def calls_worker(positional, calls, repeats):
    """Seconds for calls of _binary alone (no graph walk): the calling convention's whole cost."""
    compile_variant(positional)
    from tracegrad import Value, engine

    make, a, b = engine._binary, Value(2.0), Value(3.0)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        if positional:
            for _ in range(calls):
                make(6.0, a, b, 3.0, 2.0, "*")
        else:
            for _ in range(calls):
                make(6.0, a, b, local_x=3.0, local_y=2.0, op="*")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--worker", choices=["keyword", "positional"])
    parser.add_argument("--calls", type=int, default=0, help="(a worker) time this many bare calls instead")
    args = parser.parse_args()
    if args.worker:
        positional = args.worker == "positional"
        seconds = (calls_worker(positional, args.calls, args.repeats) if args.calls
                   else worker(positional, args.terms, args.repeats))
        print(json.dumps(seconds))
        return
    rows = [(f"{args.terms:,} products summed and back-propagated ({2 * args.terms:,} calls of _binary)", []),
            (f"{2 * args.terms:,} bare calls of _binary", ["--calls", str(2 * args.terms)])]
    for title, extra in rows:
        results = {"keyword": [], "positional": []}
        for _ in range(args.turns):
            for kind in results:
                done = subprocess.run([sys.executable, __file__, "--worker", kind, "--terms", str(args.terms),
                                       "--repeats", str(args.repeats), *extra],
                                      capture_output=True, text=True, check=True)
                results[kind].append(json.loads(done.stdout))
        keyword, positional = (statistics.median(results[k]) for k in ("keyword", "positional"))
        print(title)
        for kind, value in (("keyword", keyword), ("positional", positional)):
            turns = ", ".join(f"{t * 1000:.1f}" for t in results[kind])
            print(f"  {kind:<10} {value * 1000:8.1f} ms   (turns: {turns})")
        print(f"  keyword / positional: {keyword / positional:.3f}")


if __name__ == "__main__":
    main()
