// The trend chart (dashboard and partner home): data from the page, labels in its language.
(function () {
  var box = document.getElementById("trend");
  var data = document.getElementById("trend-data");
  if (!box || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var chart = echarts.init(box, null, { renderer: "canvas" });
  var money = function (list) { return list.map(Number); };
  var series = [
    { name: box.dataset.clicks, type: "bar", data: d.clicks, barMaxWidth: 14 },
    { name: box.dataset.conversions, type: "line", data: d.conversions, smooth: 0.25 }
  ];
  if (d.revenue) {
    series.push({ name: box.dataset.revenue, type: "line", yAxisIndex: 1, data: money(d.revenue), smooth: 0.25 });
  }
  series.push({ name: box.dataset.commissions, type: "line", yAxisIndex: 1, data: money(d.commissions), smooth: 0.25 });
  chart.setOption({
    animation: false,
    color: d.revenue ? ["#2563eb", "#16a34a", "#9333ea", "#ea580c"] : ["#2563eb", "#16a34a", "#ea580c"],
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: d.days.map(function (s) { return s.slice(5); }) },
    yAxis: [
      { type: "value", name: "", minInterval: 1 },
      { type: "value", name: "", splitLine: { show: false } }
    ],
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();

// Copy buttons: copy the text of the element named by data-copy, and say so.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.copy");
  if (!button) return;
  var source = document.getElementById(button.dataset.copy);
  if (!source) return;
  var text = source.textContent.trim();
  var done = function () {
    var label = button.textContent;
    button.textContent = "✓";
    setTimeout(function () { button.textContent = label; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done);
  } else {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
  }
});

// The payout form shows only the fields of the chosen method.
(function () {
  var method = document.getElementById("method");
  if (!method) return;
  var show = function () {
    document.querySelectorAll(".method-fields").forEach(function (box) {
      box.hidden = box.dataset.method !== method.value;
    });
  };
  method.addEventListener("change", show);
  show();
})();

// Nurturing steps: each row shows the fields of its kind (all of them without scripts).
(function () {
  var rows = document.querySelectorAll("fieldset.steps .step");
  if (!rows.length) return;
  document.querySelector("fieldset.steps").classList.add("by-kind");
  rows.forEach(function (row) {
    var kind = row.querySelector("select.step-kind");
    kind.addEventListener("change", function () { row.dataset.kind = kind.value; });
  });
})();

// A selection form: "all on this page", and its button counting what is selected (refusing
// an empty selection; the server refuses one too).
(function () {
  document.querySelectorAll("form[data-selection]").forEach(function (form) {
    var boxes = form.querySelectorAll('input[type="checkbox"][name="id"]');
    var all = form.querySelector("[data-select-all]");
    var button = form.querySelector("button[data-count-label]");
    var update = function () {
      var n = 0;
      boxes.forEach(function (box) { if (box.checked) n += 1; });
      if (button) {
        button.disabled = n === 0;
        button.textContent = button.dataset.countLabel.replace("%(n)s", String(n));
      }
      if (all) {
        all.checked = n > 0 && n === boxes.length;
        all.indeterminate = n > 0 && n < boxes.length;
      }
    };
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    if (all) {
      all.disabled = boxes.length === 0;
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
        update();
      });
    }
    update();
  });
})();
