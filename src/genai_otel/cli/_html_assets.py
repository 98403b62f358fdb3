"""The stylesheet and the chart script inlined into ``genai-otel report --html`` (no network, no library).

The script reads the report data from ``<script id="report-data" type="application/json">`` and draws each chart
as an SVG stacked bar chart into ``<div id="chart-NAME">``. Each chart box gets ``data-rendered="true"`` and
``data-bars`` (how many bars it drew) once drawn, or ``data-error`` if drawing failed; ``<body>`` gets
``data-charts-rendered`` (how many charts were drawn) at the end, and ``data-script-error`` for any uncaught error.
"""

from __future__ import annotations

from typing import Final

STYLE: Final = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1100px;
       color: #1f2328; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
.meta { color: #59636e; margin: 0 0 16px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 16px; }
.chart { border: 1px solid #d1d9e0; border-radius: 6px; padding: 8px 12px; }
.chart h3 { font-size: 14px; margin: 4px 0 8px; }
.chart svg { width: 100%; height: auto; display: block; }
.chart svg text { font: 11px system-ui, sans-serif; fill: #59636e; }
.chart svg .empty { font-size: 14px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e5e9ed; text-align: right; white-space: nowrap; }
th.key, td.key { text-align: left; }
.scroll { overflow-x: auto; }
td.ids { font-family: ui-monospace, monospace; font-size: 12px; text-align: left; }
.note { color: #59636e; font-size: 13px; }
"""

SCRIPT: Final = r"""
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                "#9c755f", "#bab0ac"];
  window.addEventListener("error", function (event) {
    document.body.setAttribute("data-script-error", String(event.message));
  });

  function node(name, attrs, text) {
    var element = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (key) { element.setAttribute(key, String(attrs[key])); });
    if (text !== undefined) { element.textContent = text; }
    return element;
  }

  function niceMax(value) {
    if (!(value > 0)) { return 1; }
    var power = Math.pow(10, Math.floor(Math.log(value) / Math.LN10));
    var scaled = value / power;
    var step = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 2.5 ? 2.5 : scaled <= 5 ? 5 : 10;
    return step * power;
  }

  function format(value, unit) {
    if (unit === "usd") {
      if (value === 0) { return "$0"; }
      return value >= 1 ? "$" + value.toFixed(2) : "$" + Number(value.toPrecision(2)).toString();
    }
    if (unit === "percent") { return (Math.round(value * 10) / 10) + "%"; }
    if (value >= 1e6) { return (value / 1e6).toFixed(1) + "M"; }
    if (value >= 1e3) { return (value / 1e3).toFixed(1) + "k"; }
    return String(Math.round(value * 100) / 100);
  }

  function draw(box, spec) {
    var width = 640, height = 300, left = 64, right = 12, top = 12, bottom = 84;
    var plotW = width - left - right, plotH = height - top - bottom;
    var svg = node("svg", {viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": spec.title});
    var categories = spec.categories, series = spec.series;
    var totals = categories.map(function (_, i) {
      return series.reduce(function (sum, s) { return sum + (s.values[i] > 0 ? s.values[i] : 0); }, 0);
    });
    var peak = Math.max.apply(null, totals.concat([0]));
    var max = spec.max ? Math.min(spec.max, niceMax(peak)) : niceMax(peak);
    if (spec.unit === "count" && max < 8) { max = max <= 4 ? 4 : 8; }  // whole-number ticks
    var bars = 0;
    for (var t = 0; t <= 4; t++) {
      var y = top + plotH * (1 - t / 4);
      svg.appendChild(node("line", {x1: left, x2: width - right, y1: y, y2: y, stroke: "#e5e9ed"}));
      svg.appendChild(node("text", {x: left - 6, y: y + 4, "text-anchor": "end"}, format(max * t / 4, spec.unit)));
    }
    var slot = plotW / Math.max(categories.length, 1);
    var barW = Math.max(1, Math.min(48, slot * 0.72));
    categories.forEach(function (category, i) {
      var stacked = 0;
      series.forEach(function (s, k) {
        var value = s.values[i];
        if (!(value > 0)) { return; }
        var h = value / max * plotH;
        var rect = node("rect", {x: left + i * slot + (slot - barW) / 2,
                                 y: top + plotH - (stacked + value) / max * plotH,
                                 width: barW, height: Math.max(h, 0.5), fill: COLORS[k % COLORS.length],
                                 "class": "bar", "data-series": s.name, "data-category": category,
                                 "data-value": value});
        rect.appendChild(node("title", {}, category + " · " + s.name + ": " + format(value, spec.unit)));
        svg.appendChild(rect);
        stacked += value;
        bars += 1;
      });
    });
    var every = Math.ceil(categories.length / 16);
    categories.forEach(function (category, i) {
      if (i % every !== 0) { return; }
      var x = left + i * slot + slot / 2, y = top + plotH + 12;
      svg.appendChild(node("text", {x: x, y: y, "text-anchor": "end",
                                    transform: "rotate(-35 " + x + " " + y + ")"}, category));
    });
    svg.appendChild(node("line", {x1: left, x2: width - right, y1: top + plotH, y2: top + plotH, stroke: "#59636e"}));
    if (bars === 0) {
      svg.appendChild(node("text", {x: left + plotW / 2, y: top + plotH / 2, "text-anchor": "middle", "class": "empty"},
                           spec.empty || "no data"));
    }
    box.appendChild(svg);
    if (series.length > 1) {
      var legendH = 18 * Math.ceil(series.length / 4);
      var legend = node("svg", {viewBox: "0 0 " + width + " " + legendH, "class": "legend"});
      series.forEach(function (s, k) {
        var x = left + (k % 4) * 140, y = 18 * Math.floor(k / 4);
        legend.appendChild(node("rect", {x: x, y: y + 4, width: 10, height: 10, fill: COLORS[k % COLORS.length]}));
        legend.appendChild(node("text", {x: x + 14, y: y + 13}, s.name));
      });
      box.appendChild(legend);
    }
    box.setAttribute("data-bars", String(bars));
    box.setAttribute("data-rendered", "true");
  }

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var drawn = 0;
  data.chart_order.forEach(function (name) {
    var box = document.getElementById("chart-" + name);
    try {
      draw(box, data.charts[name]);
      drawn += 1;
    } catch (error) {
      box.setAttribute("data-error", String(error));
      throw error;
    }
  });
  document.body.setAttribute("data-charts-rendered", String(drawn));
})();
"""
