"""network_221 is drawn as a network, by every renderer: read off the rendered SVG's geometry.

Layer columns from left to right (inputs, layer 1, layer 2, the loss), N0 above N1 and
w0 above w1, neuron boxes that never overlap, and no edge across a box's label: checked
on graphviz-pure always, and on the system ``dot`` when it is installed.
"""

import html
import os
import re
import shutil

import pytest

from tracegrad.viz import draw
from tracegrad.viz.examples import network_221
from tracegrad.viz.format import GraphNodes

RENDERERS = ["graphviz-pure"] + (["dot"] if shutil.which("dot") else [])


@pytest.fixture(params=RENDERERS)
def svg(request, monkeypatch):
    if request.param == "graphviz-pure":  # hide the system dot, as a machine without Graphviz
        monkeypatch.setenv("PATH", os.pathsep.join(
            p for p in os.environ["PATH"].split(os.pathsep) if not os.path.exists(os.path.join(p, "dot"))))
    cost, nodes = network_221()
    cost.backward()
    text = draw(cost).pipe("svg").decode("utf-8")
    assert ("graphviz-pure" in text) == (request.param == "graphviz-pure")
    return text, cost, nodes


def _groups(svg, kind):
    """{title: (bounding box, [(text, anchor, x, y, size)])} for each node or cluster group.

    The box is that of the group's shapes, or, for a node drawn as plain text,
    of its text (y is a baseline; x is where the text starts, its middle or its end).
    """
    found = {}
    for match in re.finditer(rf'<g id="[^"]*" class="{kind}">\s*<title>([^<]*)</title>(.*?)</g>', svg, re.S):
        title, body = match.group(1), match.group(2)
        texts = []
        for attributes, words in re.findall(r"<text([^>]*)>([^<]*)</text>", body):
            value = dict(re.findall(r'([\w-]+)="([^"]*)"', attributes))
            texts.append((html.unescape(words), value.get("text-anchor", "start"), float(value["x"]), float(value["y"]),
                          float(value.get("font-size", "14"))))
        shapes = re.sub(r"<text.*?</text>", "", body, flags=re.S)
        xs, ys = [], []
        for points in re.findall(r'(?:points|d)="([^"]*)"', shapes):
            numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", points)]
            xs += numbers[0::2]
            ys += numbers[1::2]
        for cx, cy, rx, ry in re.findall(r'<ellipse[^>]*cx="([-\d.]+)" cy="([-\d.]+)" rx="([-\d.]+)" ry="([-\d.]+)"',
                                         shapes):
            xs += [float(cx) - float(rx), float(cx) + float(rx)]
            ys += [float(cy) - float(ry), float(cy) + float(ry)]
        boxes = [_text_box(*text) for text in texts] if not xs else [(min(xs), min(ys), max(xs), max(ys))]
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        found[title.replace("&#45;", "-").replace("&gt;", ">")] = (box, texts)
    return found


def _text_box(words, anchor, x, y, size):
    width = 0.6 * size * len(words)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return left, y - size, left + width, y + 0.3 * size


def _centre(box):
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_layers_are_columns_from_inputs_to_the_loss(svg):
    text, cost, nodes = svg
    ids = GraphNodes(cost)
    boxes = {title: box for title, (box, _) in _groups(text, "node").items()}
    at = {label: _centre(boxes[ids.id(node)]) for label, node in nodes.items()}
    clusters = {title: box for title, (box, _) in _groups(text, "cluster").items()}
    l1n0, l1n1, l2n0 = (clusters[f"cluster_{name}"] for name in ("L1.N0", "L1.N1", "L2.N0"))

    # inputs first, x0 above x1 (SVG y grows downwards)
    assert at["x0"][1] < at["x1"][1]
    others = [centre for label, centre in at.items() if label not in ("x0", "x1")]
    assert max(at["x0"][0], at["x1"][0]) < min(x for x, _ in others)
    # layer 1 stacked N0 above N1, both left of layer 2, the loss last
    assert l1n0[3] < l1n1[1]
    assert _centre(l1n0)[0] < _centre(l2n0)[0] and _centre(l1n1)[0] < _centre(l2n0)[0]
    assert at["yhat"][0] > max(at[f"L1.N{j}.a"][0] for j in (0, 1))
    assert at["C"][0] == max(x for x, _ in at.values())
    # w0 above w1 inside every neuron
    for neuron in ("L1.N0", "L1.N1", "L2.N0"):
        assert at[f"{neuron}.w0"][1] < at[f"{neuron}.w1"][1], neuron


def test_neuron_boxes_never_overlap_and_no_edge_crosses_a_box_label(svg):
    text, _, _ = svg
    boxes = [box for box, _ in _groups(text, "cluster").values()]
    assert len(boxes) == 3
    assert not any(_overlap(a, b) for k, a in enumerate(boxes) for b in boxes[k + 1:])
    # each box's name: "L1.N0  (layer 1, neuron 0)", inside its box
    # each box's name ("L1.N0  (layer 1, neuron 0)") is a node of its own, inside its box
    names = [box for box, texts in _groups(text, "node").values()
             if texts and re.match(r"L\d+\.N\d+\s+\(layer", texts[0][0])]
    assert len(names) == 3
    assert all(any(b[0] <= n[0] and n[2] <= b[2] and b[1] <= n[1] and n[3] <= b[3] for b in boxes) for n in names)
    for path in re.findall(r'<g id="[^"]*" class="edge">.*?<path[^>]*d="([^"]*)"', text, re.S):
        for point in _points_along(path):
            for name in names:
                assert not (name[0] <= point[0] <= name[2] and name[1] <= point[1] <= name[3]), (path, name)


def _points_along(path):
    """Points every few hundredths along an SVG path of M and C commands (Graphviz's edges)."""
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path)]
    points = list(zip(numbers[0::2], numbers[1::2]))
    if "C" not in path:  # straight segments
        return [(a[0] + (b[0] - a[0]) * t / 20, a[1] + (b[1] - a[1]) * t / 20)
                for a, b in zip(points, points[1:]) for t in range(21)]
    sampled = []
    for k in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[k:k + 4]
        for step in range(51):
            t = step / 50
            sampled.append(tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t * t * c + t ** 3 * d
                                 for a, b, c, d in zip(p0, p1, p2, p3)))
    return sampled


# --- any MLP: layers as columns ----------------------------------------------------

def _mlp_loss(sizes):
    from tracegrad import Value
    from tracegrad.nn import MLP

    model = MLP(sizes[0], sizes[1:], seed=1)
    x = [Value(0.5 * (k + 1), label=f"x{k}") for k in range(sizes[0])]
    out = model(x)
    loss = sum((o - 1) ** 2 for o in (out if isinstance(out, list) else [out]))
    loss.backward()
    return loss


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("sizes", [(2, 2, 1), (2, 4, 4, 1), (3, 5, 5, 2)], ids=lambda s: "-".join(map(str, s)))
def test_every_layer_is_a_column_left_of_the_next_and_the_drawing_is_not_a_tower(sizes, renderer, monkeypatch):
    if renderer == "graphviz-pure":
        monkeypatch.setenv("PATH", os.pathsep.join(
            p for p in os.environ["PATH"].split(os.pathsep) if not os.path.exists(os.path.join(p, "dot"))))
    text = draw(_mlp_loss(sizes)).pipe("svg").decode("utf-8")
    width, height = (float(v) for v in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', text).groups())
    assert height <= width, (width, height)
    clusters = {title[len("cluster_"):]: box for title, (box, _) in _groups(text, "cluster").items()}
    layers = {}
    for name, box in clusters.items():
        layer, neuron = (int(v) for v in re.match(r"L(\d+)\.N(\d+)$", name).groups())
        layers.setdefault(layer, {})[neuron] = box
    assert sorted(layers) == list(range(1, len(sizes)))
    for layer, neurons in layers.items():
        assert sorted(neurons) == list(range(sizes[layer]))
        # one column, neurons in order from the top, never interleaved
        for upper, lower in zip(range(len(neurons)), range(1, len(neurons))):
            assert neurons[upper][3] <= neurons[lower][1], (layer, upper)
    for left, right in zip(sorted(layers), sorted(layers)[1:]):
        assert max(box[2] for box in layers[left].values()) < min(box[0] for box in layers[right].values())
    # the inputs stand left of the first layer
    nodes = {title: box for title, (box, texts) in _groups(text, "node").items()
             if texts and re.match(r"x\d+$", texts[0][0])}
    assert len(nodes) == sizes[0]
    assert max(box[2] for box in nodes.values()) < min(box[0] for box in layers[1].values())
