"""viz.render and Drawing.save: SVG and PNG without a system Graphviz, and clear errors."""

import html
import os
import re
import shutil
import sys

import pytest

import tracegrad.viz.render as render_module
from tracegrad.viz import RenderError, draw
from tracegrad.viz.render import find_renderer, render
from examples_by_hand import network_221_by_hand, square_neuron_by_hand

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def no_system_dot(monkeypatch, tmp_path):
    """PATH holds nothing: no `dot`; graphviz-pure is found beside the running Python."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


def test_graphviz_pure_is_found_without_dot_on_path(no_system_dot):
    found = render_module.find_renderer()
    assert os.path.basename(found).startswith("graphviz-pure")
    assert os.path.dirname(found) == os.path.dirname(sys.executable)


def test_network_221_saved_as_svg_png_and_dot_without_system_dot(no_system_dot, tmp_path):
    cost, _ = network_221_by_hand()
    cost.backward()
    drawing = draw(cost)
    svg = drawing.save(tmp_path / "seed001.svg").read_text(encoding="utf-8")
    # SVG writes "-" as "&#45;"; compare the text a reader sees
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for number in ("0.32", "-0.08", "0.392", "-0.408", "-0.2448", "-0.1224", "0.083232"):
        assert f"data {number}<" in html.unescape(svg) or f"grad {number}<" in html.unescape(svg), number
    png = drawing.save(tmp_path / "seed001.PNG").read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > 10_000
    assert drawing.save(tmp_path / "seed001.dot").read_text(encoding="utf-8") == drawing.source


def test_square_neuron_png_without_system_dot(no_system_dot, tmp_path):
    loss, _, _ = square_neuron_by_hand()
    loss.backward()
    assert draw(loss).save(tmp_path / "seed000.png").read_bytes().startswith(PNG_MAGIC)


def test_jupyter_display_is_svg(no_system_dot):
    loss, _, _ = square_neuron_by_hand()
    bundle = draw(loss)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "grad —" in bundle["image/svg+xml"]


def test_unknown_suffix_names_the_choices(tmp_path):
    loss, _, _ = square_neuron_by_hand()
    with pytest.raises(ValueError, match=r"'graph\.pdf'.*\.svg, \.png, \.dot"):
        draw(loss).save(tmp_path / "graph.pdf")


def test_no_renderer_at_all_is_a_clear_error(no_system_dot, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "nowhere" / "python"))
    with pytest.raises(RenderError, match="neither Graphviz's `dot` nor `graphviz-pure`"):
        render("digraph { a -> b }", "svg")


def test_in_a_browser_python_drawing_says_what_works_there(monkeypatch):
    # Pyodide (JupyterLite, marimo in the browser) has neither a dot program nor subprocesses
    monkeypatch.setattr(sys, "platform", "emscripten")
    with pytest.raises(RenderError, match=r"in a browser \(Pyodide\) save the drawing as \.dot.*text_tree"):
        find_renderer()


def test_renderer_failure_is_reported_with_its_message():
    with pytest.raises(RenderError, match=r"-Tsvg failed \(exit \d+\)"):
        render("digraph { a -> ", "svg")


def test_unknown_format():
    with pytest.raises(ValueError, match="choose one of svg, png"):
        render("digraph { a }", "gif")


@pytest.mark.skipif(os.name != "posix", reason="the stand-in renderer is a shell script")
def test_a_renderer_that_hangs_is_stopped(monkeypatch, tmp_path):
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setattr(render_module, "find_renderer", lambda: str(slow))
    with pytest.raises(RenderError, match="took longer than 0.5 s"):
        render("digraph { a }", "svg", timeout=0.5)


def test_a_graph_too_large_to_draw_is_refused():
    from tracegrad import Value

    total = Value(0.0, label="x")
    for i in range(300):
        total = total + i
    with pytest.raises(ValueError, match=r"this graph has more than 500 nodes, too many .*max_nodes=500.*text_tree"):
        draw(total)
    assert draw(total, max_nodes=None).source.count(" -> ") == 900


def test_an_over_limit_graph_is_refused_before_any_node_is_named(monkeypatch):
    import tracegrad.viz.dot
    import tracegrad.viz.stepper
    from tracegrad import viz
    from tracegrad import Value
    from tracegrad.viz import trace

    total = Value(0.0, label="x")
    for i in range(2000):
        total = total + i
    recorded = trace(total)

    def never(*args, **kwargs):
        raise AssertionError("did the expensive work before refusing")

    # naming the nodes, drawing and recording the page's steps all come after the refusal
    monkeypatch.setattr(viz.dot, "GraphNodes", never)
    monkeypatch.setattr(viz.stepper, "_steps", never)
    monkeypatch.setattr(type(recorded), "draw", never)
    with pytest.raises(ValueError, match="more than 500 nodes"):
        draw(total)
    with pytest.raises(ValueError, match="more than 500 nodes"):
        recorded.to_html()


def test_a_graph_with_too_many_edges_is_refused_up_front_though_its_nodes_are_few(monkeypatch):
    import tracegrad.viz.dot
    import tracegrad.viz.stepper
    from tracegrad import Value
    from tracegrad import viz
    from tracegrad.viz import trace

    values = [Value(float(k), label=f"x{k}") for k in range(40)]
    for _ in range(120):  # 160 values; each sum has 40 operands: 4,920 edges (Graphviz: minutes)
        values.append(Value.sum(values[-40:]))
    root = values[-1]
    recorded = trace(root)

    def never(*args, **kwargs):
        raise AssertionError("did the expensive work before refusing")

    monkeypatch.setattr(viz.dot, "GraphNodes", never)
    monkeypatch.setattr(viz.stepper, "_steps", never)
    monkeypatch.setattr(type(recorded), "draw", never)
    message = r"this graph has more than 1000 edges, too many to draw legibly \(max_nodes=500 allows .*text_tree"
    with pytest.raises(ValueError, match=message):
        draw(root)
    with pytest.raises(ValueError, match=message):
        recorded.to_html()
    with pytest.raises(ValueError, match=r"more than 20 edges, .*max_nodes=10"):
        draw(values[41], max_nodes=10)


def test_a_graph_of_binary_operations_meets_the_node_limit_before_the_edge_limit():
    from tracegrad import Value

    total = Value(0.0, label="x")
    for i in range(249):  # 499 values, 747 edges: the largest such chain draw() takes
        total = total + i
    assert draw(total).source.count(" -> ") == 747


@pytest.mark.skipif(os.name != "posix", reason="the stand-in `dot` is a shell script")
def test_system_dot_is_preferred_when_installed(no_system_dot):
    fake = no_system_dot / "dot"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    assert render_module.find_renderer() == str(fake)


def test_labels_with_markup_characters_still_render():
    from tracegrad import Value

    for label in ("</script>", "a\"b", "back\\slash", "<b>", "x & y"):
        node = Value(1.0, label=label).relu()
        assert "<svg" in draw(node).pipe("svg").decode("utf-8"), label


def test_draw_dot_render_writes_an_svg_without_system_graphviz(no_system_dot, tmp_path, monkeypatch):
    # micrograd's notebook style: draw_dot(root, format, rankdir), then render(name)
    from tracegrad import Value
    from tracegrad.viz import draw_dot

    monkeypatch.chdir(tmp_path)
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = a * b + a
    L.label = "L"
    L.backward()
    dot = draw_dot(L, format="svg", rankdir="LR")
    written = dot.render("gout")
    assert written == "gout.svg" and (tmp_path / "gout.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "gout").read_text() == dot.source  # the DOT text, as graphviz.render writes it
    assert "<svg" in (tmp_path / "gout.svg").read_text()
    assert dot.render("g2", directory="sub", format="png", cleanup=True) == os.path.join("sub", "g2.png")
    assert (tmp_path / "sub" / "g2.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "sub" / "g2").exists()
    assert "rankdir=TB" in draw_dot(L, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir must be 'LR' or 'TB'"):
        draw_dot(L, rankdir="XY")


def test_png_is_drawn_at_twice_the_resolution():
    import struct
    from tracegrad import Value

    x = Value(2.0, label="x")
    drawing = draw(x * x + x)
    png = drawing.pipe("png")
    width = struct.unpack(">I", png[16:20])[0]
    svg = drawing.pipe("svg").decode()
    points = float(re.search(r'width="([\d.]+)pt"', svg).group(1))
    assert width == pytest.approx(2 * points, abs=4)  # 144 dpi: two pixels per point


def test_layout_work_is_bounded_for_every_drawing():
    # Graphviz's crossing minimisation and network simplex are capped (the benchmark
    # tests/benchmarks/bench_layout.py measures the effect), and big graphs get straight edges
    from tracegrad import Value
    from tracegrad.viz.dot import LARGE_LAYOUT_LIMITS, LAYOUT_LIMITS

    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    small = x * y
    big = small
    for _ in range(149):
        big = big + x * y
    for root, limits in ((small, LAYOUT_LIMITS), (big, LARGE_LAYOUT_LIMITS)):
        header = draw(root).source.splitlines()[1]
        for name, value in limits.items():
            assert f"{name}={value}" in header
    assert "splines=line" in draw(big).source.splitlines()[1]
    assert "splines" not in draw(small).source.splitlines()[1]


@pytest.mark.parametrize("renderer", ["system dot", "graphviz-pure"])
def test_a_png_of_any_accepted_graph_is_rendered_in_bounded_memory(renderer, tmp_path):
    # x*x*...*x with 100 products: at 144 dpi a 30,736 x 5,956 raster, 1.5 GB in graphviz-pure
    import struct
    import subprocess

    if renderer == "system dot" and not shutil.which("dot"):
        pytest.skip("no system dot")
    code = f"""
import os, resource, struct, sys
{'os.environ["PATH"] = ""' if renderer == "graphviz-pure" else ''}
from tracegrad import Value
from tracegrad.viz import draw
x = Value(1.0, label="x")
y = x
for _ in range(99):
    y = y * x
y.backward()
png = draw(y).pipe("png")
print(*struct.unpack(">II", png[16:24]), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    width, height, renderer_kilobytes = map(int, done.stdout.split())
    from tracegrad.viz.dot import PNG_MAX_SIDE

    assert max(width, height) <= PNG_MAX_SIDE and min(width, height) > 500
    assert renderer_kilobytes < 400_000  # the renderer's peak memory (it was 806 MB and 1.45 GB)


def test_a_graph_whose_edges_are_too_long_to_lay_out_is_refused_up_front(monkeypatch):
    # x*x*...*x, 300 factors: x feeds 299 operations in a row, and Graphviz places a point
    # in every column each of its edges crosses (179,699 of them: 46 s, 0.3 GB)
    from tracegrad import Value

    def chain(factors):
        x = Value(1.0, label="x")
        y = x
        for _ in range(factors - 1):
            y = y * x
        return y

    def never(*args, **kwargs):
        raise AssertionError("rendered before refusing")

    monkeypatch.setattr(render_module, "render", never)
    drawing = draw(chain(100))  # the 100 products: still drawn
    with pytest.raises(ValueError, match=r"this graph's edges are too long to lay out: x is used by "
                                         r"operations far apart, and the edges cross 44,551 columns .*max_nodes=None"):
        draw(chain(300))
    assert draw(chain(300), max_nodes=None).source.count(" -> ") == 897
    monkeypatch.undo()
    assert drawing.pipe("svg").startswith(b"<?xml")


def test_a_drawing_whose_neuron_boxes_cannot_be_routed_is_drawn_without_them(monkeypatch):
    # Graphviz's edge router fails now and then around clusters ("triangulation failed":
    # 59 of 35,080 random drawings, all with neuron boxes; none of 3,000 random drawings
    # failed here, so the failure is played by a stand-in that fails on any box)
    from tracegrad.viz import draw_dot

    real_render = render_module.render
    sources = []

    def router_failing_on_boxes(source, format="svg", **options):
        sources.append(source)
        if "cluster_" in source:
            raise RenderError("dot -Tsvg failed (exit 1): Error: in routesplines, triangulation failed")
        return real_render(source, format, **options)

    monkeypatch.setattr(render_module, "render", router_failing_on_boxes)
    cost, _ = network_221_by_hand()
    cost.backward()
    drawing = draw_dot(cost, rankdir="TB")
    assert "cluster_" in drawing.source
    svg = drawing.pipe("svg").decode("utf-8")
    assert len(sources) == 2 and "cluster_" not in sources[1] and "rankdir=TB" in sources[1]
    assert "L1.N0.w0" in svg and 'class="cluster"' not in svg  # the same values, full names, no boxes

    def always_failing(source, format="svg", **options):
        sources.append(source)
        raise RenderError("dot -Tsvg failed (exit 1): Error: triangulation failed")

    monkeypatch.setattr(render_module, "render", always_failing)
    sources.clear()
    with pytest.raises(RenderError, match="triangulation failed"):  # without boxes too: the error
        draw(cost).pipe("svg")
    assert len(sources) == 2
    with pytest.raises(RenderError, match="triangulation failed"):  # no boxes to leave out: tried once
        draw(cost, group_neurons=False).pipe("svg")
    assert len(sources) == 3


def test_a_drawing_that_times_out_is_not_tried_again_without_boxes(monkeypatch):
    calls = []

    def slow(source, format="svg", **options):
        calls.append(source)
        raise render_module.RenderTimeout("dot took longer than 60 s to lay out the graph")

    monkeypatch.setattr(render_module, "render", slow)
    cost, _ = network_221_by_hand()
    with pytest.raises(RenderError, match="took longer"):
        draw(cost).pipe("svg")
    assert len(calls) == 1
