"""Where a node belongs in a network: its neuron, its layer, and the forward pass in layer order.

A graph built by ``nn`` labels parameters and neuron outputs
``L<layer>.N<neuron>.<name>`` (``L1.N0.w0``, ``L2.N0.z``). The drawing boxes
each neuron's nodes and stacks the boxes in layer columns; the trace walks the
forward pass layer by layer. Both read that from here, so a picture and its
steps always agree on what "layer 1" is.
"""

import re

__all__ = ["neuron_of_label", "neuron_number", "neuron_clusters", "depths", "layered_order"]

# nn labels parameters and neuron outputs "L<layer>.N<neuron>.<name>".
_NEURON_LABEL = re.compile(r"^L(\d+)\.N(\d+)\.(.+)$")


def neuron_of_label(label):
    """The neuron name ("L1.N0") a label belongs to, or None."""
    match = _NEURON_LABEL.match(label)
    return f"L{match.group(1)}.N{match.group(2)}" if match else None


def neuron_number(neuron):
    """(layer, neuron) as numbers, from a neuron name like "L1.N0"."""
    layer, index = re.match(r"L(\d+)\.N(\d+)$", neuron).groups()
    return int(layer), int(index)


def neuron_clusters(nodes):
    """Map node -> neuron name ("L1.N0") for the nodes that belong in that neuron's box.

    Labelled nodes belong by their label; a node renamed by hand (the output
    ``ŷ``, which nn labelled ``L2.N0.z``) belongs with the parameters it is
    computed from; an unlabelled node (like the product w0*x0 inside a weighted
    sum) joins its users' neuron when all of them share one. ``nodes`` is a
    viz.format.GraphNodes.
    """
    clusters = {}
    for node in reversed(nodes.order):
        neuron = neuron_of_label(node.label)
        if neuron is None and node.label:
            owners = {neuron_of_label(inp.label) for inp in node.inputs if not inp.inputs}
            owners.discard(None)
            neuron = owners.pop() if len(owners) == 1 else None
        if neuron:
            clusters[node] = neuron
        elif not node.label and nodes.consumers[node]:
            owners = {clusters.get(user) for user in nodes.consumers[node]}
            if len(owners) == 1 and None not in owners:
                clusters[node] = owners.pop()
    return clusters


def depths(nodes):
    """node -> its depth: 0 for a leaf, one more than its deepest input otherwise."""
    depth = {}
    for node in nodes.order:
        depth[node] = 1 + max((depth[inp] for inp in node.inputs), default=-1)
    return depth


def layered_order(nodes, clusters=None):
    """The operation nodes in the order a learner reads a network: layer by layer, neuron by neuron.

    Each node gets a stage, its neuron's (layer, neuron), never earlier than the
    stages of its inputs (so the loss after the last layer comes last), and a
    depth, one more than its deepest input. Sorting by (stage, depth, position
    in the topological order) is itself a topological order: along every edge
    the stage never decreases and the depth grows. A graph without neurons has
    one stage, and is read by depth. A graph that is a single leaf gives [root].
    """
    if clusters is None:
        clusters = neuron_clusters(nodes)
    stage, depth = {}, depths(nodes)
    for node in nodes.order:
        own = neuron_number(clusters[node]) if node in clusters else (0, 0)
        stage[node] = max([own] + [stage[inp] for inp in node.inputs])
    operations = [node for node in nodes.order if node.inputs] or [nodes.order[-1]]
    return sorted(operations, key=lambda node: (stage[node], depth[node], nodes.index[node]))
