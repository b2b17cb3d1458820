/* plotting.js: the small helpers every figure of a page shares.
   tracegrad.plotting holds:
   - unpack(packed): a {shape, dtype, base64} array sent by Python (viz.player's
     _pack) as {shape, array, row(k)}; row(k) is frame k's numbers;
   - formatNumber(x, digits): as Python's format(x, ".{digits}g") (viz.format_number);
     nan is "—" (not computed); percent(x): "97.5%";
   - BLUE and ORANGE (positive and negative, Okabe & Ito), PALETTE for classes,
     classColour(classes, label), mix(colour, amount) from white, css(colour);
   - svgElement(name, attributes, parent), fitCanvas(canvas, box, width, height),
     setPixel(image, i, j, rgb), niceTicks(low, high, count), zeroLine(values, nx, ny, at);
   - onResize(redraw): calls redraw once the window has stopped resizing. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var SVG = "http://www.w3.org/2000/svg";
  var BLUE = [0, 114, 178], ORANGE = [230, 159, 0];  // positive, negative (Okabe & Ito)
  var PALETTE = [[0, 114, 178], [230, 159, 0], [0, 158, 115], [204, 121, 167], [86, 180, 233],
                 [213, 94, 0], [240, 228, 66]];

  function unpack(packed) {
    if (!packed) { return null; }
    var text = atob(packed.base64), bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    var kind = { "<f8": Float64Array, "<f4": Float32Array, "|u1": Uint8Array }[packed.dtype];
    var array = new kind(bytes.buffer);
    var row = packed.shape.slice(1).reduce(function (a, b) { return a * b; }, 1);
    return { shape: packed.shape, array: array,
             row: function (k) { return array.subarray(k * row, (k + 1) * row); } };
  }

  // Python's format(x, ".{digits}g"), as viz.format_number writes numbers; nan: not computed
  function formatNumber(x, digits) {
    if (isNaN(x)) { return "\u2014"; }
    if (!isFinite(x)) { return x > 0 ? "inf" : "-inf"; }
    if (x === 0) { return "0"; }
    var exponential = x.toExponential(digits - 1), at = exponential.indexOf("e");
    var exponent = Number(exponential.slice(at + 1)), text;
    if (exponent < -4 || exponent >= digits) {
      var mantissa = stripZeros(exponential.slice(0, at));
      text = mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
    } else {
      text = stripZeros(x.toFixed(Math.max(0, digits - 1 - exponent)));
    }
    return text === "-0" ? "0" : text;
  }
  function stripZeros(text) {
    return text.indexOf(".") < 0 ? text : text.replace(/0+$/, "").replace(/\.$/, "");
  }
  function percent(x) { return x === null || x === undefined ? "\u2014" : (100 * x).toFixed(1) + "%"; }

  function mix(colour, amount) {  // from white towards colour
    return [255 + (colour[0] - 255) * amount, 255 + (colour[1] - 255) * amount, 255 + (colour[2] - 255) * amount];
  }
  function css(colour) { return "rgb(" + colour.map(Math.round).join(",") + ")"; }
  function classColour(classes, label) {  // two classes: the larger blue; more: the palette
    var index = classes.indexOf(label);
    if (classes.length === 2) { return index === 1 ? BLUE : ORANGE; }
    return PALETTE[index % PALETTE.length];
  }
  function setPixel(image, i, j, rgb) {  // grid point (i, j); row j = 0 is the image's bottom row
    var at = ((image.height - 1 - j) * image.width + i) * 4;
    image.data[at] = rgb[0]; image.data[at + 1] = rgb[1]; image.data[at + 2] = rgb[2]; image.data[at + 3] = 255;
  }
  function svgElement(name, attributes, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  // A canvas filling its box, drawn in CSS pixels at the screen's resolution.
  function fitCanvas(canvas, box, width, height) {
    var ratio = window.devicePixelRatio || 1;
    width = Math.max(10, Math.floor(width === undefined ? box.clientWidth : width));
    height = Math.max(10, Math.floor(height === undefined ? box.clientHeight : height));
    canvas.width = width * ratio; canvas.height = height * ratio;
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
    var context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { context: context, width: width, height: height };
  }

  function niceTicks(low, high, count) {
    var span = high - low || 1, step = Math.pow(10, Math.floor(Math.log10(span / count)));
    [2, 5, 10].forEach(function (f) { if (span / step > count * 1.5) { step = step * f / (f === 2 ? 1 : f === 5 ? 2 : 5); } });
    var ticks = [];
    for (var t = Math.ceil(low / step) * step; t <= high + 1e-9 * span; t += step) { ticks.push(Math.abs(t) < 1e-12 * span ? 0 : t); }
    return ticks;
  }

  // The segments where a grid of values crosses 0 (marching squares, linear along each cell edge).
  function zeroLine(values, nx, ny, at) {
    var segments = [];
    function cross(i0, j0, i1, j1) {
      var a = values[j0 * nx + i0], b = values[j1 * nx + i1], t = a / (a - b);
      return at(i0 + (i1 - i0) * t, j0 + (j1 - j0) * t);
    }
    for (var j = 0; j + 1 < ny; j++) {
      for (var i = 0; i + 1 < nx; i++) {
        var corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]], points = [];
        for (var e = 0; e < 4; e++) {
          var p = corners[e], q = corners[(e + 1) % 4];
          var a = values[p[1] * nx + p[0]], b = values[q[1] * nx + q[0]];
          if ((a > 0) !== (b > 0)) { points.push(cross(p[0], p[1], q[0], q[1])); }
        }
        if (points.length >= 2) { segments.push([points[0], points[1]]); }
        if (points.length === 4) { segments.push([points[2], points[3]]); }
      }
    }
    return segments;
  }

  function onResize(redraw) {
    var waiting = null;
    window.addEventListener("resize", function () { clearTimeout(waiting); waiting = setTimeout(redraw, 60); });
  }

  tracegrad.plotting = {
    unpack: unpack, formatNumber: formatNumber, percent: percent, BLUE: BLUE, ORANGE: ORANGE, PALETTE: PALETTE,
    mix: mix, css: css, classColour: classColour, setPixel: setPixel, svgElement: svgElement,
    fitCanvas: fitCanvas, niceTicks: niceTicks, zeroLine: zeroLine, onResize: onResize
  };
})();
