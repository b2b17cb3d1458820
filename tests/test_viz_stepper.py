"""viz.stepper and viz.page: the stepper page is self-contained, readable, and works in headless Chromium."""

import json
import re

import pytest

from tracegrad import Value
from tracegrad.viz import format_number, trace
from tracegrad.viz.examples import network_221, square_neuron
from tracegrad.viz.page import build_page, inline_frame, page_file
from page_helpers import Page, data_of, inline_page

def test_page_is_self_contained():
    loss, _ = square_neuron()
    page = trace(loss).to_html()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<?xml" not in page
    # nothing to fetch: no src/href attributes, no URL outside the SVG namespace declarations
    assert not re.search(r"\b(src|href)\s*=", page)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_page_files_are_package_data_read_with_importlib_resources():
    for name in ("base.css", "timeline.js", "panzoom.js", "graphview.js", "stepper.html",
                 "stepper.css", "stepper.js"):
        assert len(page_file(name)) > 100, name
    page = trace(square_neuron()[0]).to_html()
    assert page_file("panzoom.js").strip() in page and page_file("base.css").strip() in page


def test_build_page_fills_each_slot_once_and_escapes_text():
    page = build_page("stepper.html", data={"steps": ["</script><!--"]}, title="a <b>", heading="{{data}}",
                      markup={"svg": "<svg></svg>", "legend": "", "switch": "", "network": "", "hidden": ""})
    assert "<title>a &lt;b&gt;</title>" in page
    assert "<h1>{{data}}</h1>" in page  # a slot-like text inside a value stays text
    assert data_of(page) == {"steps": ["</script><!--"]} and "</script><!--" not in page
    with pytest.raises(KeyError, match="slot"):
        build_page("stepper.html", data={}, title="t")  # no heading, svg, ...


def test_a_page_whose_data_holds_a_lone_surrogate_is_still_valid_utf8():
    # a label from a broken decode ("\udcff"): no UTF-8 file can hold it as it is
    page = build_page("stepper.html", data={"labels": ["w\udcff", "ok ŷ"]}, title="t", heading="h",
                      markup={"svg": "<svg></svg>", "legend": "", "switch": "", "network": "", "hidden": ""})
    page.encode("utf-8")
    assert data_of(page) == {"labels": ["w\udcff", "ok ŷ"]}  # JSON's \udcff: the page reads it back


def test_forward_steps_of_the_page_introduce_leaves_with_their_first_operation():
    loss, _ = square_neuron()
    steps = data_of(trace(loss).to_html())["steps"]
    assert [step["phase"] for step in steps] == ["forward"] * 5 + ["backward"] * 6 + ["done"]
    assert steps[0]["current"] == ["n2", "op2"] and steps[0]["data"] == ["n2", "n0", "n1"]
    assert steps[0]["text"].splitlines() == ["w*x = 3*2 = 6", "w = 3, x = 2  (leaves: given, not computed)"]
    assert steps[5]["grads"] == {"n8": "1"}
    assert steps[6]["flows"] == [["n7->op8", "× 2·(z - y) = 18", 0]]
    assert steps[10]["grads"] == {"n0": "36", "n1": "54"}


def test_off_relu_is_marked_at_its_forward_step_and_what_it_blocks_greyed_when_sent_0():
    cost, _ = network_221()
    recorded = trace(cost)
    steps = data_of(recorded.to_html())["steps"]
    marked = [i for i, step in enumerate(steps) if step.get("off")]
    off = next(s for s in recorded.forward_steps if s.op == "relu" and s.value == 0.0)
    assert [steps[i]["current"][0] for i in marked] == [off.node_id]
    grey = [i for i, step in enumerate(steps) if step.get("gated")]
    off_backward = next(i for i, step in enumerate(steps)
                        if step["phase"] == "backward" and step.get("current", [""])[0] == off.node_id)
    assert grey and min(grey) == off_backward  # nothing is grey before the ReLU sends its 0
    # the 0 goes back along the edge into the ReLU's input and on into the operation that made it
    z = recorded.nodes.order[off.index].inputs[0]
    z_id = recorded.nodes.id(z)
    assert {f"{z_id}->op{off.index}", f"op{recorded.nodes.index[z]}->{z_id}"} <= set(steps[off_backward]["gated"])


def whole(about):
    """Everything a node's box shows once the backward pass is done."""
    return "\n".join([about["value"], about.get("sum", "")] + [use["text"] for use in about["uses"]]
                     + [about["total"], about["check"]])


def test_details_sum_over_consumers_and_check_leaves_by_central_differences():
    x = Value(2.0, label="x")
    y = x * x + x
    y.label = "y"
    details = data_of(trace(y).to_html())["details"]
    about_x = details["n0"]
    assert about_x["gradTitle"] == "grad(x) = 5" and about_x["valueAt"] == 0
    assert "x = 2  (a leaf: given, not computed)" in about_x["value"]
    assert "from y:  1 · grad(y) = 1 · 1 = 1" in whole(about_x)
    assert whole(about_x).count("from x*x:  x · grad(x*x) = 2 · 1 = 2") == 2
    assert "grad(x) = 1 + 2 + 2 = 5" in about_x["total"]
    assert "central differences" in about_x["check"] and "≈ grad(x) = 5: agrees" in about_x["check"]
    # the edges its gradient is summed over: x -> x*x (twice, one edge) and x -> +
    assert {use["edge"] for use in about_x["uses"]} == {"n0->op1", "n0->op2"}


# L(w + h) = L(3.001) = 81.0360040 ... difference / 2h = 0.0720000 / 0.002 = 36  ≈ grad(w) = 36
CHECK = re.compile(r"\((?P<up_at>[-\d.e]+)\) = (?P<up>-?[\d.]+)\n.*\((?P<down_at>[-\d.e]+)\) = (?P<down>-?[\d.]+)\n"
                   r"  difference: (?P=up) − \(?(?P=down)\)? = (?P<difference>-?[\d.]+)\n"
                   r"  difference / 2h = (?P=difference) / (?P<two_h>[\d.]+) = (?P<quotient>-?[\d.e-]+)"
                   r"  ≈ grad\(.*\) = (?P<grad>-?[\d.e-]+): agrees\.$")


@pytest.mark.parametrize("example", [square_neuron, network_221])
def test_the_check_is_arithmetic_a_learner_can_redo_for_every_leaf(example):
    from decimal import Decimal

    recorded = trace(example()[0])
    details = data_of(recorded.to_html())["details"]
    leaves = [node for node in recorded.nodes.order if not node.inputs and node.label]
    assert len(leaves) == {square_neuron: 4, network_221: 12}[example]
    for leaf in leaves:
        check = details[recorded.nodes.id(leaf)]["check"]
        found = CHECK.search(check)
        assert found, check
        up, down, difference = (Decimal(found[k]) for k in ("up", "down", "difference"))
        assert up - down == difference  # the subtraction as written
        assert Decimal(found["two_h"]) == 2 * (Decimal(found["up_at"]) - Decimal(found["down_at"])) / 2
        assert Decimal(found["up_at"]) - Decimal(str(leaf.data)) == Decimal(found["two_h"]) / 2
        # the division as written, to the digits shown; and it is the gradient (independent: PyTorch)
        quotient = difference / Decimal(found["two_h"])
        assert format_number(float(quotient)) == found["quotient"] == found["grad"]
        if float(difference) != 0:  # enough digits: six significant ones in the difference
            assert len(found["difference"].lstrip("-0.").replace(".", "")) >= 6
    torch = pytest.importorskip("torch")
    grads = torch_grads(example, torch)
    for leaf in leaves:
        shown = CHECK.search(details[recorded.nodes.id(leaf)]["check"])["quotient"]
        assert float(shown) == pytest.approx(grads[leaf.label], rel=1e-5, abs=1e-9)


def torch_grads(example, torch):
    """d loss / d leaf by PyTorch in float64, the example rebuilt from its leaves' values."""
    loss, nodes = example()
    leaves = {label: torch.tensor(node.data, dtype=torch.float64, requires_grad=True)
              for label, node in nodes.items() if not node.inputs}
    if example is square_neuron:
        t = leaves
        out = (torch.relu(t["w"] * t["x"] + t["b"]) - t["y"]) ** 2
    else:
        t = leaves
        h0 = torch.relu(t["L1.N0.w0"] * t["x0"] + t["L1.N0.w1"] * t["x1"] + t["L1.N0.b"])
        h1 = torch.relu(t["L1.N1.w0"] * t["x0"] + t["L1.N1.w1"] * t["x1"] + t["L1.N1.b"])
        yhat = t["L2.N0.w0"] * h0 + t["L2.N0.w1"] * h1 + t["L2.N0.b"]
        out = (yhat - t["y"]) ** 2 * 0.5
    assert out.item() == pytest.approx(loss.data)
    out.backward()
    return {label: tensor.grad.item() for label, tensor in leaves.items()}


def test_a_learners_own_operation_gets_its_gradients_but_no_central_difference_check():
    x = Value(0.5, label="x")
    out = Value(x.data**3, (x,), "cube")

    def _backward():
        x.grad += 3 * x.data**2 * out.grad
    out._backward = _backward
    out.label = "c"
    details = data_of(trace(out).to_html())["details"]
    assert details["n0"]["gradTitle"] == "grad(x) = 0.75"
    assert "not available here" in details["n0"]["check"] and "'cube' is a learner's own" in details["n0"]["check"]


def test_user_text_cannot_break_out_of_the_page():
    x = Value(1.0, label="</script><script>alert(1)</script>")
    page = trace(x * 2).to_html()
    assert "<script>alert(1)" not in page
    assert "</script><script>alert(1)</script> = 1  (a leaf" in data_of(page)["steps"][0]["text"]


def test_save_html_writes_utf8(tmp_path):
    cost, _ = network_221()
    path = trace(cost).save_html(tmp_path / "network_221.html")
    text = path.read_text(encoding="utf-8")
    assert "grad(L1.N0.w0) += x0 · grad(L1.N0.z) = 0.5 · (-0.2448) = -0.1224" in text
    assert "Forward and backward pass of C" in text


def test_jupyter_shows_the_stepper_inline_in_its_own_frame():
    loss, _ = square_neuron()
    shown = trace(loss)._repr_html_()
    assert 'setAttribute("sandbox", "allow-scripts")' in shown
    inner = inline_page(shown)
    assert inner.startswith("<!DOCTYPE html>") and "<svg" in inner and "grad(w) += x · grad(w*x)" in inner


# --- in a real browser ---------------------------------------------------------------


def test_stepping_square_neuron_in_chromium(browser, tmp_path):
    loss, _ = square_neuron()
    page = Page(browser, trace(loss).save_html(tmp_path / "a.html"))
    assert page.current() == ["n2", "op2"]  # w*x, with the leaves w and x
    # the leaves are given: b = 7 and y = 4 show from the start; w*x + b is not computed yet
    assert page.line("n0", "data") == "data 3" and page.line("n3", "data") == "data 7"
    assert page.line("n4", "data") == "data ?" and page.line("n8", "grad") == "grad —"
    page.page.click('[data-role="next"]')
    assert page.current() == ["n4", "op4"] and page.line("n4", "data") == "data 13"
    page.press("ArrowLeft")
    assert page.line("n4", "data") == "data ?" and page.line("n3", "data") == "data 7"

    page.press("ArrowRight", 5)  # the backward pass starts
    assert page.current() == ["n8"] and page.line("n8", "grad") == "grad 1"
    page.press("ArrowRight")  # L sends to z - y, with the local derivative on the edge
    labels = page.page.evaluate("Array.from(document.querySelectorAll('.tg-edge-label')).map(t => t.textContent)")
    assert labels == ["× 2·(z - y) = 18"]
    assert page.titles("g.edge.tg-back") == ["n7->op8", "op8->n8"]
    assert page.page.locator(".tg-back-arrow").count() == 2  # arrows pointing back towards the inputs
    page.press("ArrowRight", 4)
    assert "grad(w) += x · grad(w*x) = 2 · 18 = 36" in page.step_text()
    assert page.line("n0", "grad") == "grad 36"
    page.page.fill('[data-role="slider"]', "0")  # the slider goes anywhere
    assert page.current() == ["n2", "op2"] and page.line("n0", "grad") == "grad —"
    page.press("End")
    assert page.page.is_disabled('[data-role="next"]')
    assert "grad(w) = 36" in page.step_text()
    assert page.errors == [] and page.requests == [page.url]  # nothing fetched but the page itself


@pytest.mark.parametrize("example", [square_neuron, network_221])
def test_given_leaves_show_their_values_from_the_first_step_and_computed_nodes_do_not(browser, tmp_path,
                                                                                          example):
    recorded = trace(example()[0])
    page = Page(browser, recorded.save_html(tmp_path / "page.html"))
    first = recorded.forward_steps[0]
    lines = page.page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('g.node'))
      .map(g => [g.querySelector('title').textContent,
                 Array.from(g.querySelectorAll('text')).filter(t => t.textContent.startsWith('data '))
                   .map(t => [t.textContent, t.getAttribute('class')])[0]])
      .filter(([id, line]) => line))""")
    for node in recorded.nodes.order:
        node_id = recorded.nodes.id(node)
        if node_id not in lines:  # an unlabelled constant shows its value as its name
            continue
        text, shown_as = lines[node_id]
        if not node.inputs:
            assert text == f"data {format_number(node.data)}", node.label
            # marked given (or as just introduced, at the step that first uses it)
            assert shown_as == ("tg-changed" if node_id in [leaf.node_id for leaf in first.leaves] else "tg-given")
        elif node_id != first.node_id:
            assert (text, shown_as) == ("data ?", "tg-pending"), node_id
    assert sum(not node.inputs and bool(node.label) for node in recorded.nodes.order) == {square_neuron: 4,
                                                                                     network_221: 12}[example]
    assert "given" in page.page.inner_text(".tg-legend") and page.errors == []


def test_the_page_ends_with_the_update_and_the_relu_switching_off(browser, tmp_path):
    loss, nodes = square_neuron()
    recorded = trace(loss, parameters=[nodes["w"], nodes["b"]], lr=1)
    steps = data_of(recorded.to_html())["steps"]
    assert [step["phase"] for step in steps[-3:]] == ["done", "update", "after"]
    page = Page(browser, recorded.save_html(tmp_path / "page.html"))
    page.page.fill('[data-role="slider"]', str(len(steps) - 2))
    assert "w = 3 - 1·36 = -33" in page.step_text() and "b = 7 - 1·18 = -11" in page.step_text()
    ids = {recorded.nodes.name(node): recorded.nodes.id(node) for node in recorded.nodes.order}
    assert page.line(ids["w"], "data") == "data -33" and page.line(ids["b"], "data") == "data -11"
    assert page.line(ids["z"], "data") == "data 13"  # computed from the old parameters until the next step
    assert page.line(ids["w"], "grad") == "grad 36"  # the gradients the update used
    page.press("ArrowRight")  # the forward pass again
    assert "L = 81 → 16" in page.page.inner_text('[data-role="step-title"]')
    assert "the ReLU z = relu(w*x + b) switches off" in page.step_text()
    assert page.line(ids["z"], "data") == "data 0" and page.line(ids["L"], "data") == "data 16"
    assert page.line(ids["w*x + b"], "data") == "data -77"
    assert page.line(ids["w"], "grad") == "grad —"  # new values: their gradients are not computed yet
    assert page.titles("g.node.tg-off") == [recorded.nodes.op_id(nodes["z"])]
    page.press("ArrowLeft", 2)  # back before the update: the old values and gradients again
    assert page.line(ids["w"], "data") == "data 3" and page.line(ids["z"], "data") == "data 13"
    assert page.titles("g.node.tg-off") == [] and page.line(ids["w"], "grad") == "grad 36"
    assert page.errors == []


def shape_colours(page, selector):
    """{title: [stroke, fill]} of the shape (box, circle) of each node matching selector."""
    return page.page.evaluate(f"""() => Object.fromEntries(Array.from(document.querySelectorAll('{selector}'))
        .map(g => {{ const s = getComputedStyle(g.querySelector('path, polygon, ellipse'));
                    return [g.querySelector('title').textContent, [s.stroke, s.fill]]; }}))""")


def test_value_boxes_are_coloured_as_the_legend_says(browser, tmp_path):
    # a value box with a tooltip sits inside <g><a> in Graphviz's SVG: the colours must reach it too
    cost, nodes = network_221()
    recorded = trace(cost)
    page = Page(browser, recorded.save_html(tmp_path / "b.html"))
    red, blue = "rgb(214, 39, 40)", "rgb(31, 119, 180)"
    current = shape_colours(page, "g.node.tg-current")
    inputs = shape_colours(page, "g.node.tg-input")
    w0, x0 = recorded.nodes.id(nodes["L1.N0.w0"]), recorded.nodes.id(nodes["x0"])
    assert all(stroke == red for stroke, _ in current.values()) and len(current) == 2  # the product and its ×
    assert inputs[w0][0] == blue and inputs[x0][0] == blue
    page.press("End")  # what the off ReLU blocked is grey
    grey = shape_colours(page, "g.node.tg-gated")
    assert grey and all(fill == "rgb(228, 228, 228)" for _, fill in grey.values())
    assert page.errors == []


def test_network_221_is_readable_at_1366x768_and_never_moves(browser, tmp_path):
    cost, _ = network_221()
    recorded = trace(cost)
    steps = len(data_of(recorded.to_html())["steps"])
    page = Page(browser, recorded.save_html(tmp_path / "b.html"))
    assert min(page.text_heights()) >= 12  # node text at its natural size, never scaled down
    header, viewport = page.box(".tg-header"), page.box(".tg-viewport")
    for _ in range(steps):
        assert page.box(".tg-header") == header and page.box(".tg-viewport") == viewport
        # the current node is on screen at every step, the last one included
        inside = page.page.evaluate("""() => {
            const view = document.querySelector('.tg-viewport').getBoundingClientRect();
            return Array.from(document.querySelectorAll('g.node.tg-current')).every(g => {
              const r = g.getBoundingClientRect();
              return r.left >= view.left && r.right <= view.right && r.top >= view.top && r.bottom <= view.bottom;
            });
          }""")
        assert inside
        page.press("ArrowRight")
    assert page.errors == [] and page.requests == [page.url]


# For each edge label shown: the nodes (and the drawing's own edge labels) its box covers,
# whether it lies inside the drawing,
# and how far (in CSS px) it is from its edge, or from a tie line that starts on its edge.
LABEL_GEOMETRY = """() => {
  const box = e => e.getBoundingClientRect();
  const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const gap = (r, x, y) => Math.hypot(Math.max(r.left - x, 0, x - r.right), Math.max(r.top - y, 0, y - r.bottom));
  const screen = (e, p) => { const m = e.getScreenCTM(); return [m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f]; };
  const drawing = box(document.querySelector('.tg-viewport > svg'));
  // every node, and the drawing's own edge labels ("minus")
  // (not the room a drawing leaves empty for the stepper's labels, text.tg-note)
  const nodes = Array.from(document.querySelectorAll('g.node, g.edge:has(> text:not(.tg-note))'))
    .map(g => [g.querySelector('title').textContent,
               box(g.classList.contains('node') ? g : g.querySelector('text:not(.tg-note)'))]);
  return Array.from(document.querySelectorAll('text.tg-edge-label')).map(label => {
    const back = box(label.previousElementSibling);
    const covers = nodes.filter(([id, r]) => meets(back, r)).map(([id]) => id);
    const inside = back.left >= drawing.left && back.right <= drawing.right
                   && back.top >= drawing.top && back.bottom <= drawing.bottom;
    const group = Array.from(document.querySelectorAll('g.edge'))
      .find(g => g.querySelector('title').textContent === label.dataset.edge);
    if (!group) { return {text: label.textContent, covers: covers, inside: inside, distance: Infinity}; }
    const edge = group.querySelector('path'), points = [];
    for (let i = 0; i <= 400; i++) { points.push(screen(edge, edge.getPointAtLength(edge.getTotalLength() * i / 400))); }
    let distance = Math.min(...points.map(([x, y]) => gap(back, x, y)));
    document.querySelectorAll('line.tg-edge-label-tie').forEach(tie => {
      const ends = [[tie.x1, tie.y1], [tie.x2, tie.y2]].map(([x, y]) =>
        screen(tie, {x: x.baseVal.value, y: y.baseVal.value}));
      const onEdge = Math.min(...points.map(([x, y]) => Math.hypot(x - ends[0][0], y - ends[0][1])));
      if (onEdge < 3) { distance = Math.min(distance, gap(back, ...ends[1])); }
    });
    return {text: label.textContent, covers: covers, inside: inside, distance: distance};
  });
}"""


@pytest.mark.parametrize("example, renderer", [(square_neuron, "found"), (network_221, "found"),
                                               (network_221, "graphviz-pure")])
def test_edge_labels_never_cover_a_node_and_stay_by_their_edge(browser, tmp_path, monkeypatch, example, renderer):
    recorded = trace(example()[0])
    if renderer == "graphviz-pure":  # no `dot` on PATH: graphviz-pure lays the graph out its own way
        (tmp_path / "empty-bin").mkdir()
        monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    page_html = recorded.to_html()
    steps = data_of(page_html)["steps"]
    path = tmp_path / "page.html"
    path.write_text(page_html, encoding="utf-8")
    page = Page(browser, path)
    shown = []
    for k, step in enumerate(steps):
        page.page.fill('[data-role="slider"]', str(k))
        labels = page.page.evaluate(LABEL_GEOMETRY)
        assert len(labels) == len(step.get("flows", []))
        shown += [(k + 1, label) for label in labels]
    for k, label in shown:
        assert label["covers"] == [], f"step {k}: {label['text']!r} covers {label['covers']}"
        assert label["inside"], f"step {k}: {label['text']!r} is cut off by the drawing's edge"
    for k, label in shown:  # beside its edge, or tied to it
        assert label["distance"] <= 6, f"step {k}: {label['text']!r} is {label['distance']} px from its edge"
    assert len(shown) >= len(recorded.backward_steps)
    assert page.errors == []


# For each edge label shown: its edge (id and which of parallel edges), the drawn edge
# nearest to its box, and how far that is (CSS px). Edges are told apart as "id#k".
NEAREST_EDGE = """() => {
  const gap = (r, x, y) => Math.hypot(Math.max(r.left - x, 0, x - r.right), Math.max(r.top - y, 0, y - r.bottom));
  const screen = (e, p) => { const m = e.getScreenCTM(); return [m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f]; };
  const seen = {}, edges = [];
  document.querySelectorAll('g.edge').forEach(g => {
    const id = g.querySelector('title').textContent, path = g.querySelector('path');
    const k = seen[id] = (seen[id] === undefined ? 0 : seen[id] + 1);
    if (!path) { return; }
    const points = [];
    for (let i = 0; i <= 200; i++) { points.push(screen(path, path.getPointAtLength(path.getTotalLength() * i / 200))); }
    edges.push({name: id + '#' + k, points: points, role: (g.querySelector('text') || {}).textContent || ''});
  });
  return Array.from(document.querySelectorAll('text.tg-edge-label')).map(label => {
    const box = label.previousElementSibling.getBoundingClientRect();
    const distances = edges.map(e => [Math.min(...e.points.map(([x, y]) => gap(box, x, y))), e.name, e.role]);
    distances.sort((a, b) => a[0] - b[0]);
    // a label the page had to move away from its edge is tied to it by a dotted line from the edge
    const tie = label.previousElementSibling.previousElementSibling;
    const tied = !!tie && tie.classList.contains('tg-edge-label-tie');
    return {text: label.textContent, edge: label.dataset.edge + '#' + label.dataset.occurrence, tied: tied,
            nearest: distances[0][1], role: distances.find(d => d[1] === label.dataset.edge + '#' + label.dataset.occurrence)[2],
            distance: distances[0][0], runnerUp: distances[1] ? distances[1][0] : Infinity};
  });
}"""


@pytest.mark.parametrize("expression", [None, "network_221", "x*x + x", "x/x + x"])
def test_every_edge_a_step_sends_along_carries_its_label_beside_it(browser, tmp_path, expression):
    from tracegrad.viz import parse

    if expression is None:
        loss, nodes = square_neuron()
        recorded = trace(loss, parameters=[nodes["w"], nodes["b"]], lr=1)
    elif expression == "network_221":
        recorded = trace(network_221()[0])
    else:
        recorded = trace(parse(expression, {"x": 2.0}))
    steps = data_of(recorded.to_html())["steps"]
    page = Page(browser, recorded.save_html(tmp_path / "page.html"))
    checked = 0
    for k, step in enumerate(steps):
        if step["phase"] != "backward" or not step.get("flows"):
            continue
        page.page.fill('[data-role="slider"]', str(k))
        labels = page.page.evaluate(NEAREST_EDGE)
        # one label per drawn edge the gradient is sent along (x*x: both edges x -> ×)
        sent = [contribution for step_ in recorded.backward_steps for contribution in step_.contributions
                if f"op{step_.index}" == step["edges"][0].split("->")[0]]
        assert sorted(label["edge"] for label in labels) == sorted(f"{edge}#{n}" for edge, _, n in step["flows"])
        assert len(labels) == len(sent)
        for label in labels:
            # beside its own edge, nearer to it than to any other; or tied to it by a dotted line
            assert label["tied"] or (label["nearest"] == label["edge"] and label["distance"] < label["runnerUp"]
                                     and label["distance"] <= 16), (k, label)
            if label["text"].startswith("× -x/x²"):  # the divisor's edge is the one the drawing marks
                assert label["role"] == "divided by"
        checked += len(labels)
    assert checked >= len(recorded.backward_steps) and page.errors == []
    if expression == "x*x + x":  # both edges x -> × carry their label
        x_times_x = [k for k, step in enumerate(steps) if step["title"].startswith("Backward pass, step 2")][0]
        page.page.fill('[data-role="slider"]', str(x_times_x))
        shown = page.page.evaluate(NEAREST_EDGE)
        assert sorted((label["text"], label["edge"]) for label in shown) == [
            ("× x = 2", "n0->op1#0"), ("× x = 2", "n0->op1#1")]
    if expression == "network_221":  # × 0.5 on the edge from (ŷ - y)² into C's multiply, not from 0.5
        first = next(k for k, step in enumerate(steps) if step["phase"] == "backward" and step.get("flows"))
        page.page.fill('[data-role="slider"]', str(first))
        [label] = page.page.evaluate(NEAREST_EDGE)
        squared = next(node for node in recorded.nodes.order if node.op == "**2")
        assert label["text"] == "× 0.5" and label["nearest"].startswith(recorded.nodes.id(squared) + "->")


def test_the_legend_stays_in_the_header_and_covers_no_node(browser, tmp_path):
    recorded = trace(network_221()[0])
    page = Page(browser, recorded.save_html(tmp_path / "b.html"))
    legend, header, viewport = page.box(".tg-legend"), page.box(".tg-header"), page.box(".tg-viewport")
    assert "red" in page.page.inner_text(".tg-legend")
    assert legend[1] >= header[1] and legend[1] + legend[3] <= header[1] + header[3]
    assert legend[1] + legend[3] <= viewport[1]  # above the graph, whatever is panned under it


def test_the_last_step_shows_every_leafs_gradient_without_scrolling(browser, tmp_path):
    recorded = trace(network_221()[0])
    leaves = data_of(recorded.to_html())["steps"][-1]["text"].splitlines()
    assert len(leaves) == 12
    page = Page(browser, recorded.save_html(tmp_path / "b.html"))
    header = page.box(".tg-header")
    page.press("End")
    assert page.step_text().splitlines() == leaves
    fits = page.page.evaluate("""() => {
        const text = document.querySelector('[data-role="step-text"]'), box = text.getBoundingClientRect();
        const lines = Array.from(text.children).map(line => line.getBoundingClientRect());
        return text.scrollHeight <= text.clientHeight && text.scrollWidth <= text.clientWidth
          && lines.every(r => r.top >= box.top && r.bottom <= box.bottom && r.left >= box.left && r.right <= box.right);
      }""")
    assert fits
    assert page.box(".tg-header") == header
    page.press("Home")  # a step of two lines is one block again
    assert page.page.evaluate("document.querySelector('[data-role=\"step-text\"]').children.length") == 0


def test_the_neuron_being_computed_is_shown_whole_when_it_fits(browser, tmp_path):
    recorded = trace(network_221()[0])
    steps = data_of(recorded.to_html())["steps"]
    page = Page(browser, recorded.save_html(tmp_path / "b.html"))
    checked = 0
    for k in range(len(steps)):
        # the neuron box holding the current node; whether it, with the step's nodes, fits the
        # viewport; and whether it is wholly in view
        seen = page.page.evaluate("""() => {
            const view = document.querySelector('.tg-viewport').getBoundingClientRect(), margin = 16;
            const nodes = Array.from(document.querySelectorAll('g.node.tg-current, g.node.tg-input'))
              .map(g => g.getBoundingClientRect());
            const current = document.querySelector('g.node.tg-current');
            if (!current) { return null; }
            const inner = current.getBoundingClientRect();
            const cluster = Array.from(document.querySelectorAll('g.cluster')).map(g => g.getBoundingClientRect())
              .find(r => r.left <= inner.left && r.top <= inner.top && inner.right <= r.right && inner.bottom <= r.bottom);
            if (!cluster) { return null; }
            const all = nodes.concat([cluster]);
            const left = Math.min(...all.map(r => r.left)), right = Math.max(...all.map(r => r.right));
            const top = Math.min(...all.map(r => r.top)), bottom = Math.max(...all.map(r => r.bottom));
            return {fits: right - left <= view.width - 2 * margin && bottom - top <= view.height - 2 * margin,
                    shown: cluster.left >= view.left && cluster.right <= view.right
                           && cluster.top >= view.top && cluster.bottom <= view.bottom};
          }""")
        if seen and seen["fits"]:
            assert seen["shown"], f"step {k + 1}: the neuron box of the current node is cut off"
            checked += 1
        page.press("ArrowRight")
    assert checked >= 8
    assert page.errors == []


def test_a_graph_that_fits_stays_exactly_in_place(browser, tmp_path):
    loss, _ = square_neuron()
    page = Page(browser, trace(loss).save_html(tmp_path / "a.html"), width=1920, height=1080)
    where = page.box("svg")
    for _ in range(12):
        page.press("ArrowRight")
        assert page.box("svg") == where


def test_zoom_buttons_wheel_and_browser_zoom_make_the_text_larger(browser, tmp_path):
    cost, _ = network_221()
    path = trace(cost).save_html(tmp_path / "b.html")
    page = Page(browser, path)
    natural = min(page.text_heights())
    page.page.click('[data-role="zoom-in"]')
    assert min(page.text_heights()) > natural * 1.2
    page.page.click('[data-role="zoom-reset"]')
    assert min(page.text_heights()) == pytest.approx(natural)
    page.page.mouse.move(600, 500)
    page.page.mouse.wheel(0, -300)  # the wheel alone pans, never zooms
    page.page.wait_for_timeout(50)
    assert min(page.text_heights()) == pytest.approx(natural)
    page.page.keyboard.down("Control")
    page.page.mouse.wheel(0, -300)
    page.page.wait_for_timeout(50)
    assert min(page.text_heights()) > natural
    page.page.click('[data-role="zoom-reset"]')
    page.page.mouse.wheel(0, 300)  # zooming out by the wheel stops at 1x or at the whole graph
    page.page.keyboard.up("Control")
    assert min(page.text_heights()) >= natural * 0.5
    # the browser's zoom at 200%: the same CSS size, so twice as many screen pixels
    zoomed = Page(browser, path, width=683, height=384, scale=2)
    assert min(zoomed.text_heights()) == pytest.approx(natural)
    assert page.errors == [] and zoomed.errors == []


def test_click_or_enter_on_a_node_shows_its_gradient_as_a_sum(browser, tmp_path):
    cost, nodes = network_221()
    recorded = trace(cost)
    page = Page(browser, recorded.save_html(tmp_path / "b.html"), width=1920, height=1080)
    x0 = recorded.nodes.id(nodes["x0"])
    assert page.page.is_hidden('[data-role="details"]')
    page.page.evaluate(f"""Array.from(document.querySelectorAll('g.node'))
        .find(g => g.querySelector('title').textContent === '{x0}').dispatchEvent(new MouseEvent('click'))""")
    # at the first forward step: its value, given, and no gradient yet
    text = page.page.inner_text('[data-role="details"]')
    assert "x0 = 0.5  (a leaf: given, not computed)" in text and "not known yet" in text
    assert "-0.09792" not in text and page.titles("g.edge.tg-sum") == []
    page.press("End")  # the box follows the step shown: now the whole sum, its edges, and the check
    text = page.page.inner_text('[data-role="details"]')
    assert "grad(x0) = -0.09792" in text and "central differences" in text and "agrees" in text
    assert len(page.titles("g.edge.tg-sum")) == 2  # x0 feeds both hidden neurons
    page.press("Escape")
    assert page.page.is_hidden('[data-role="details"]')
    page.page.focus(f"g.node:has(> title:text-is('{x0}'))")
    page.press("Enter")
    assert "grad(x0) = 0 + (-0.09792) = -0.09792" in page.page.inner_text('[data-role="details"]')
    assert page.errors == []


def test_the_click_box_at_the_update_steps_describes_the_updated_numbers(browser, tmp_path):
    loss, nodes = square_neuron()
    recorded = trace(loss, parameters=[nodes["w"], nodes["b"]], lr=1)
    steps = data_of(recorded.to_html())["steps"]
    page = Page(browser, recorded.save_html(tmp_path / "a.html"))
    w = recorded.nodes.id(nodes["w"])
    page.page.evaluate(f"""Array.from(document.querySelectorAll('g.node'))
        .find(g => g.querySelector('title').textContent === '{w}').dispatchEvent(new MouseEvent('click'))""")
    update = [k for k, step in enumerate(steps) if step["phase"] == "update"][0]
    page.page.fill('[data-role="slider"]', str(update))
    text = page.page.inner_text('[data-role="details"]')
    assert "grad(w) = 36" in text and "w becomes -33" in text  # w = 3 - 1 · 36
    page.press("End")  # the forward pass again: the new value, and no gradient yet
    text = page.page.inner_text('[data-role="details"]')
    assert steps[-1]["phase"] == "after"
    assert "w = -33" in text and "not known" in text and "36" not in text
    assert page.errors == []


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_a_nodes_explanation_never_covers_the_node_clicked(browser, tmp_path, size):
    recorded = trace(network_221()[0])
    page = Page(browser, recorded.save_html(tmp_path / "b.html"), *size)
    page.press("End")
    page.page.click('[data-role="zoom-fit"]')  # every node on screen, so each can be clicked
    covered = page.page.evaluate("""() => {
        const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        const details = document.querySelector('[data-role="details"]'), covered = [];
        document.querySelectorAll('g.node[role="button"]').forEach(g => {
          g.dispatchEvent(new MouseEvent('click'));
          if (details.hidden) { covered.push('nothing shown for ' + g.querySelector('title').textContent); }
          if (meets(details.getBoundingClientRect(), g.getBoundingClientRect())) {
            covered.push(g.querySelector('title').textContent);
          }
        });
        return covered;
      }""")
    assert covered == []
    assert page.errors == []


def test_two_steppers_in_one_notebook_do_not_interfere(browser, tmp_path):
    a = trace(square_neuron()[0])._repr_html_()
    b = trace(network_221()[0])._repr_html_()
    path = tmp_path / "notebook.html"
    path.write_text(f"<!DOCTYPE html><html><body>{a}{b}</body></html>", encoding="utf-8")
    page = Page(browser, path, width=1366, height=1400)
    first, second = page.page.frames[1], page.page.frames[2]
    first.click('[data-role="next"]')
    first.click('[data-role="next"]')
    counter = '[data-role="counter"]'
    assert first.inner_text(counter) == "step 3 of 12" and second.inner_text(counter).startswith("step 1 of")
    assert page.errors == [] and page.requests == [page.url]


# Each line of the step's text (and its title) that can be neither seen nor scrolled to: outside
# the header or the window; or below the text's box while no note under it says that it scrolls,
# or still outside it once scrolled to the end. (Headless Chromium hides scrollbars, so the note.)
HIDDEN_LINES = """() => {
  const inside = (r, b) => r.left >= b.left - 0.5 && r.right <= b.right + 0.5 && r.top >= b.top - 0.5
                           && r.bottom <= b.bottom + 0.5;
  const text = document.querySelector('[data-role="step-text"]'), box = text.getBoundingClientRect();
  const header = document.querySelector('.tg-header').getBoundingClientRect();
  const screen = {left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight};
  const more = document.querySelector('[data-role="more"]');
  const hidden = [];
  const title = document.querySelector('[data-role="step-title"]');
  if (!inside(title.getBoundingClientRect(), header) || title.scrollWidth > title.clientWidth + 1) {
    hidden.push('title: ' + title.textContent);
  }
  if (!inside(box, header) || !inside(box, screen)) { hidden.push('the text box itself'); }
  if (text.scrollWidth > text.clientWidth + 1) { hidden.push('lines wider than the box'); }
  const lines = text.children.length ? Array.from(text.children) : [text];
  const below = lines.filter(line => !inside(line.getBoundingClientRect(), box));
  if (below.length) {
    const note = more.getBoundingClientRect();
    if (more.hidden || !inside(note, header) || !/\\d+ more lines? below/.test(more.textContent)) {
      hidden.push('no note that the text scrolls');
    }
    text.scrollTop = text.scrollHeight;
    const last = lines[lines.length - 1].getBoundingClientRect();
    if (!inside(last, text.getBoundingClientRect())) { hidden.push('the last line, scrolled to the end'); }
    text.scrollTop = 0;
  }
  return hidden;
}"""


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)])
@pytest.mark.parametrize("example", [square_neuron, network_221])
def test_no_line_of_any_step_is_hidden(browser, tmp_path, example, size):
    recorded = trace(example()[0])
    count = len(data_of(recorded.to_html())["steps"])
    page = Page(browser, recorded.save_html(tmp_path / "page.html"), *size)
    for k in range(count):
        assert page.page.evaluate(HIDDEN_LINES) == [], f"step {k + 1}"
        page.page.click('[data-role="next"]') if k < count - 1 else None
    # the toolbar wraps rather than being cut off: every control inside the window
    outside = page.page.evaluate("""Array.from(document.querySelectorAll('.tg-bar button, .tg-bar input'))
        .filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth
                       || r.bottom > document.querySelector('.tg-header').getBoundingClientRect().bottom; })
        .map(e => e.getAttribute('data-role'))""")
    assert outside == []
    assert page.errors == []
