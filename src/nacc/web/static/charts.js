// nacc portal charts: every element with data-chart is drawn with the vendored ECharts
// (echarts.simple.min.js). Data come from the page (JSON in data-chart); no inline script.
(function () {
  "use strict";
  var BLUE = "#0b5cad", GREY = "#5b6672", GREEN = "#1b7f3b";

  function burndown(el, data) {
    return {
      animation: false,
      grid: { left: 70, right: 20, top: 30, bottom: 40 },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "time" },
      yAxis: { type: "value", min: 0 },
      series: [
        { name: el.dataset.labelLeft, type: "line", step: "end", data: data.left, color: BLUE, showSymbol: false },
        { name: el.dataset.labelPlan, type: "line", data: data.plan, color: GREY, lineStyle: { type: "dashed" }, showSymbol: false },
        { name: el.dataset.labelReleased, type: "line", step: "end", data: data.released, color: GREEN }
      ]
    };
  }

  function utilisation(el, data) {
    return {
      animation: false,
      grid: { left: 50, right: 20, top: 20, bottom: 40 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.hours },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ name: el.dataset.label, type: "bar", data: data.values, color: BLUE }]
    };
  }

  var KINDS = { burndown: burndown, utilisation: utilisation };

  function draw() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = JSON.parse(el.dataset.chart);
      var make = KINDS[data.kind];
      if (!make) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(make(el, data));
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
