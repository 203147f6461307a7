// The dashboard's trend chart: data from the page, labels in the page's language.
(function () {
  var box = document.getElementById("trend");
  var data = document.getElementById("trend-data");
  if (!box || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var chart = echarts.init(box, null, { renderer: "canvas" });
  var money = function (list) { return list.map(Number); };
  chart.setOption({
    animation: false,
    color: ["#2563eb", "#16a34a", "#9333ea", "#ea580c"],
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: d.days.map(function (s) { return s.slice(5); }) },
    yAxis: [
      { type: "value", name: "", minInterval: 1 },
      { type: "value", name: "", splitLine: { show: false } }
    ],
    series: [
      { name: box.dataset.clicks, type: "bar", data: d.clicks, barMaxWidth: 14 },
      { name: box.dataset.conversions, type: "line", data: d.conversions, smooth: true },
      { name: box.dataset.revenue, type: "line", yAxisIndex: 1, data: money(d.revenue), smooth: true },
      { name: box.dataset.commissions, type: "line", yAxisIndex: 1, data: money(d.commissions), smooth: true }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
