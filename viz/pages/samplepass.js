/* samplepass.js: one sample through an MLP, forward and backward, layer by layer as the textbook writes it.
   tracegrad.samplePass(network, values, x, target, lossName) takes the network's
   structure (viz.player's _network: {layers: [[{activation, w: [indexes], b: index}]]}),
   the parameters' values (an array), one sample's inputs x and its target, and
   the name of one of nn's losses. It returns, neuron by neuron in layer order,
   z = w·a + b, a = activation(z) and δ = ∂L/∂z for this sample's own loss L
   (the loss of [model(x)] against [target]), with L itself and each parameter's
   ∂L/∂p (∂L/∂b = δ, ∂L/∂w = a·δ). With a loss it does not know (a function of
   the user's), loss, δ and the gradients are null. The player computes these for
   whichever sample is chosen, at whichever step is shown; a test checks them
   against the engine's backward(). */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};

  function sigmoid(z) {  // never e^(large): e^-|z|
    var e = Math.exp(-Math.abs(z));
    return (z >= 0 ? 1 : e) / (1 + e);
  }
  function softplus(z) { return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))); }
  var ACTIVATIONS = {  // a(z), and a′(z) written with z and a
    relu: [function (z) { return z > 0 ? z : 0; }, function (z) { return z > 0 ? 1 : 0; }],
    tanh: [Math.tanh, function (z, a) { return 1 - a * a; }],
    sigmoid: [sigmoid, function (z, a) { return a * (1 - a); }],
    linear: [function (z) { return z; }, function () { return 1; }]
  };
  // each loss of one sample, from its outputs (an array) and target: [L, ∂L/∂output for each output];
  // nn's losses are means over the outputs of a sample
  var LOSSES = {
    mse: function (out, t) { return squared(out, t, 1, 2); },
    half_squared_error: function (out, t) { return squared(out, t, 0.5, 1); },
    hinge: function (out, t) {
      var ts = targets(out, t), n = out.length, loss = 0;
      var slope = out.map(function (p, k) {
        var margin = 1 - p * ts[k];
        loss += Math.max(margin, 0) / n;
        return margin > 0 ? -ts[k] / n : 0;
      });
      return [loss, slope];
    },
    bce_with_logits: function (out, t) {
      var ts = targets(out, t), n = out.length, loss = 0;
      var slope = out.map(function (z, k) {
        loss += (ts[k] * softplus(-z) + (1 - ts[k]) * softplus(z)) / n;
        return (sigmoid(z) - ts[k]) / n;
      });
      return [loss, slope];
    },
    cross_entropy: function (out, t) {  // softmax(z) − one-hot(t)
      var top = Math.max.apply(null, out), total = 0;
      out.forEach(function (z) { total += Math.exp(z - top); });
      var loss = top + Math.log(total) - out[t];
      return [loss, out.map(function (z, k) { return Math.exp(z - top) / total - (k === t ? 1 : 0); })];
    }
  };
  function targets(out, t) { return Array.isArray(t) ? t : out.map(function () { return t; }); }
  function squared(out, t, half, two) {
    var ts = targets(out, t), n = out.length, loss = 0;
    var slope = out.map(function (p, k) { var d = p - ts[k]; loss += half * d * d / n; return two * d / n; });
    return [loss, slope];
  }

  tracegrad.samplePass = function (network, values, x, target, lossName) {
    var z = [], a = [], sources = [], inputs = x;
    network.layers.forEach(function (layer) {
      var outputs = layer.map(function (neuron) {
        var sum = 0;
        // in the engine's order: the products first, then the bias
        neuron.w.forEach(function (index, k) { sum += values[index] * inputs[k]; });
        sum += values[neuron.b];
        var out = ACTIVATIONS[neuron.activation][0](sum);
        z.push(sum); a.push(out); sources.push(inputs);
        return out;
      });
      inputs = outputs;
    });
    var result = { z: z, a: a, delta: null, loss: null, grads: null };
    var rule = LOSSES[lossName];
    if (!rule) { return result; }
    var last = network.layers.length - 1, first = z.length - network.layers[last].length;
    var lossAndSlope = rule(a.slice(first), target);
    result.loss = lossAndSlope[0];
    // δ layer by layer from the output back: ∂L/∂a × a′(z), ∂L/∂a of a hidden neuron being Σ w·δ above
    var delta = new Array(z.length), grads = new Float64Array(values.length), end = z.length;
    var dLda = lossAndSlope[1];
    for (var l = last; l >= 0; l--) {
      var layer = network.layers[l], start = end - layer.length;
      var below = l > 0 ? new Array(network.layers[l - 1].length).fill(0) : null;
      layer.forEach(function (neuron, j) {
        var i = start + j;
        delta[i] = dLda[j] * ACTIVATIONS[neuron.activation][1](z[i], a[i]);
        grads[neuron.b] += delta[i];
        neuron.w.forEach(function (index, k) {
          grads[index] += sources[i][k] * delta[i];
          if (below) { below[k] += values[index] * delta[i]; }
        });
      });
      dLda = below;
      end = start;
    }
    result.delta = delta; result.grads = grads;
    return result;
  };
})();
