// Charts of the lifecycle and concentration reports (data in <script type="application/json">).
(function () {
  if (!window.echarts) return;
  var read = function (id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  };
  var charts = [];
  var segments = document.getElementById("segments-chart");
  var seg = read("segments-data");
  if (segments && seg) {
    var chart = echarts.init(segments, null, { renderer: "canvas" });
    chart.setOption({
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: seg.names },
      series: [{ type: "bar", data: seg.counts,
                 itemStyle: { color: "#2f6fde" }, label: { show: true, position: "right" } }]
    });
    charts.push(chart);
  }
  var lorenzBox = document.getElementById("lorenz-chart");
  var lz = read("lorenz-data");
  if (lorenzBox && lz) {
    var pct = function (v) { return Math.round(v * 1000) / 10; };
    var c2 = echarts.init(lorenzBox, null, { renderer: "canvas" });
    c2.setOption({
      grid: { left: 8, right: 16, top: 32, bottom: 28, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "item", formatter: function (p) { return p.seriesName + ": " + p.value[0] + "% → " + p.value[1] + "%"; } },
      xAxis: { type: "value", min: 0, max: 100, name: lorenzBox.dataset.xname, nameLocation: "middle", nameGap: 26, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: lorenzBox.dataset.curve, type: "line", data: lz.lorenz.map(function (p) { return [pct(p[0]), pct(p[1])]; }),
          areaStyle: { opacity: 0.15 }, symbolSize: 5, color: "#2f6fde" },
        { name: lorenzBox.dataset.equality, type: "line", data: [[0, 0], [100, 100]], symbol: "none",
          lineStyle: { type: "dashed" }, color: "#999" }
      ]
    });
    charts.push(c2);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
