// The performance report's chart: a line over time, or a bar of the top ten rows; labels
// come from the page in its language, and the chart follows the width of its box.
(function () {
  var box = document.getElementById("perf-chart");
  var data = document.getElementById("perf-chart-data");
  if (!box || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  if (!d) return;
  var chart = echarts.init(box, null, { renderer: "canvas" });
  var money = function (list) { return list.map(Number); };
  var line = d.kind === "line";
  var series = [];
  var colors = [];
  if (d.clicks) {
    series.push({ name: box.dataset.clicks, type: "bar", data: d.clicks, barMaxWidth: 14 });
    colors.push("#2563eb");
  }
  series.push({ name: box.dataset.conversions, type: line ? "line" : "bar", data: d.conversions, smooth: 0.25, barMaxWidth: 18 });
  series.push({ name: box.dataset.revenue, type: line ? "line" : "bar", yAxisIndex: 1, data: money(d.revenue), smooth: 0.25, barMaxWidth: 18 });
  series.push({ name: box.dataset.commissions, type: line ? "line" : "bar", yAxisIndex: 1, data: money(d.commissions), smooth: 0.25, barMaxWidth: 18 });
  colors.push("#16a34a", "#9333ea", "#ea580c");
  var keys = d.keys.map(function (k) { return k === null ? "—" : String(k); });
  chart.setOption({
    animation: false,
    color: colors,
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: line ? 8 : 28, right: 8, top: 36, bottom: 8, containLabel: true },
    xAxis: {
      type: "category",
      data: line ? keys.map(function (s) { return s.slice(5); }) : keys,
      axisLabel: line ? {} : { interval: 0, rotate: keys.length > 4 ? 30 : 0, width: 90, overflow: "truncate" }
    },
    yAxis: [
      { type: "value", name: "", minInterval: 1 },
      { type: "value", name: "", splitLine: { show: false } }
    ],
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
  if (window.ResizeObserver) new ResizeObserver(function () { chart.resize(); }).observe(box);
})();
