// Growth quality's waterfall and partner mix's shares: data from the page, labels in its language.
(function () {
  var box = document.getElementById("waterfall");
  var data = document.getElementById("waterfall-data");
  if (!box || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var chart = echarts.init(box, null, { renderer: "canvas" });
  var pick = document.getElementById("split");
  function draw(split) {
    var steps = d.splits[split] || [];
    var names = [d.previous_label], base = [0], up = [Number(d.previous)], down = [0];
    var level = Number(d.previous);
    steps.forEach(function (s) {
      var v = Number(s.value);
      names.push(s.name);
      if (v >= 0) { base.push(level); up.push(v); down.push(0); level += v; }
      else { level += v; base.push(level); up.push(0); down.push(-v); }
    });
    names.push(d.current_label); base.push(0); up.push(Number(d.current)); down.push(0);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (p) { var r = p.filter(function (x) { return x.seriesIndex > 0 && x.value; });
          return r.map(function (x) { return x.name + ": " + (x.seriesIndex === 2 ? "-" : "") + x.value.toLocaleString(); }).join("<br>"); } },
      grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 5 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: [
        { type: "bar", stack: "w", data: base, itemStyle: { color: "transparent" }, emphasis: { disabled: true } },
        { name: box.dataset.up, type: "bar", stack: "w", data: up, barMaxWidth: 48,
          itemStyle: { color: function (p) { return p.dataIndex === 0 || p.dataIndex === names.length - 1 ? "#2563eb" : "#16a34a"; } } },
        { name: box.dataset.down, type: "bar", stack: "w", data: down, barMaxWidth: 48, itemStyle: { color: "#dc2626" } }
      ]
    }, true);
  }
  draw(pick ? pick.value : "customers");
  if (pick) pick.addEventListener("change", function () { draw(pick.value); });
  window.addEventListener("resize", function () { chart.resize(); });
})();

(function () {
  var box = document.getElementById("mix");
  var data = document.getElementById("mix-data");
  if (!box || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var chart = echarts.init(box, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    color: ["#2563eb", "#f59e0b"],
    tooltip: { trigger: "axis", valueFormatter: function (v) { return Number(v).toFixed(1) + "%"; } },
    legend: { top: 0 },
    grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
    yAxis: { type: "category", data: d.types, inverse: true },
    series: [
      { name: d.actual_label, type: "bar", data: d.actual, barMaxWidth: 14 },
      { name: d.recommended_label, type: "bar", data: d.recommended, barMaxWidth: 14 }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
