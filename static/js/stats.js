// Draws the statistics charts from the JSON block the page carries (no inline script, so the
// portal's CSP holds). A click on a bar, slice or point opens the records it counts; every
// chart's numbers are also in the table beside it, which works without JavaScript.
(function () {
  var source = document.getElementById("stats-data");
  if (!source || !window.echarts) {
    return;
  }
  var charts = JSON.parse(source.textContent);
  var palette = ["#b3202a", "#1d5fa8", "#237a3b", "#a86a00", "#6b4c9a", "#2a8c8c", "#8c1820", "#5f6b76"];
  var drawn = [];

  function option(spec) {
    var base = { color: palette, animation: false, tooltip: { trigger: spec.type === "pie" ? "item" : "axis" } };
    if (spec.type === "pie") {
      base.series = [{
        type: "pie", radius: ["35%", "68%"], avoidLabelOverlap: true,
        label: { formatter: "{b}\n{c}" },
        data: spec.labels.map(function (label, i) { return { name: label, value: spec.values[i] }; })
      }];
      return base;
    }
    base.grid = { left: 8, right: 16, top: 16, bottom: 8, containLabel: true };
    base.xAxis = { type: "category", data: spec.labels, axisLabel: { interval: 0, rotate: spec.labels.length > 5 ? 30 : 0 } };
    base.yAxis = { type: "value", minInterval: 1 };
    base.series = [{ type: spec.type, data: spec.values, label: { show: spec.type === "bar", position: "top" } }];
    return base;
  }

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var spec = charts[element.getAttribute("data-chart")];
    // A chart of nothing but zeros says less than its table: leave the table alone.
    if (!spec || !spec.values.some(function (value) { return value > 0; })) {
      element.classList.add("stats-chart-empty");
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option(spec));
    chart.on("click", function (params) {
      var link = spec.links[params.dataIndex];
      if (link) {
        window.location.href = link;
      }
    });
    drawn.push(chart);
  });

  window.addEventListener("resize", function () {
    drawn.forEach(function (chart) { chart.resize(); });
  });
  // Charts are sized for the screen; redraw them for the printed page's width and back.
  window.addEventListener("beforeprint", function () {
    drawn.forEach(function (chart) { chart.resize({ width: 640 }); });
  });
  window.addEventListener("afterprint", function () {
    drawn.forEach(function (chart) { chart.resize(); });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
