"""The inline stylesheet and script of the HTML report (no external fonts, scripts or images)."""

CSS = """
:root { --ink: #1d2430; --muted: #5b6472; --line: #d9dee5; --soft: #f4f6f9;
  --accent: #17607a; --pos: #2e7d4f; --neg: #b3362f; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color: var(--ink); margin: 0 auto; max-width: 1240px; padding: 20px 20px 40px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 28px 0 10px; padding-bottom: 4px;
  border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.05em; margin: 0 0 6px; }
h4 { font-size: .95em; margin: 14px 0 6px; color: var(--muted); }
p { margin: 6px 0; }
code, .id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: .88em; }
.id { color: var(--muted); }
.lead { color: var(--muted); max-width: 70em; }
.note { background: var(--soft); border-left: 4px solid var(--accent); padding: 8px 12px;
  margin: 12px 0; }
.note ul { margin: 4px 0; padding-left: 20px; }
.case { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 28px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
ul.terms { margin: 4px 0; padding-left: 18px; }
.toolbar { display: flex; gap: 12px; align-items: center; margin: 6px 0; }
.toolbar input { font: inherit; padding: 4px 8px; width: 22em; border: 1px solid var(--line);
  border-radius: 4px; }
.toolbar span { color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
.scroll { overflow-x: auto; }
td code { white-space: nowrap; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
thead th { background: var(--soft); font-weight: 600; }
#candidates thead th { cursor: pointer; user-select: none; white-space: nowrap; }
#candidates thead th::after { content: " \\2195"; color: #aab1bb; }
#candidates thead th[aria-sort=ascending]::after { content: " \\2191"; color: var(--ink); }
#candidates thead th[aria-sort=descending]::after { content: " \\2193"; color: var(--ink); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:hover { background: #f9fafc; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 14px 0;
  break-inside: avoid; }
.card h3 a { color: inherit; }
.factors td:first-child { width: 12em; color: var(--muted); }
.factors td.num { width: 5em; font-weight: 600; }
.factors tr.total td { border-bottom: 0; font-weight: 600; color: var(--ink); }
.lr-row { display: grid;
  grid-template-columns: minmax(14em, 1.3fr) 260px 5em minmax(12em, 1.4fr);
  gap: 10px; align-items: center; padding: 2px 0; }
.lr-track { position: relative; height: 14px; background: var(--soft);
  border-left: 1px solid var(--line); border-right: 1px solid var(--line); }
.lr-track::before { content: ""; position: absolute; left: 50%; top: -2px; bottom: -2px;
  border-left: 1px solid #8a93a0; }
.lr-bar { position: absolute; top: 2px; bottom: 2px; }
.lr-bar.pos { background: var(--pos); }
.lr-bar.neg { background: var(--neg); }
.lr-val { text-align: right; font-variant-numeric: tabular-nums; }
.lr-kind { color: var(--muted); font-size: .9em; }
.lr-head { color: var(--muted); font-size: .85em; }
.excluded .lr-term::before { content: "absent: "; color: var(--neg); }
footer { margin-top: 32px; padding-top: 8px; border-top: 1px solid var(--line);
  color: var(--muted); font-size: .85em; }
footer code { word-break: break-all; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 9.5pt; max-width: none; padding: 0; }
  .toolbar { display: none; }
  #candidates thead th::after { content: ""; }
  #candidates thead th { white-space: normal; }
  .scroll { overflow: visible; }
  table { font-size: 8pt; }
  th, td { padding: 2px 3px; }
  td code { white-space: normal; word-break: break-all; }
  .lr-row { grid-template-columns: 12em 150px 3.5em 1fr; }
  thead { display: table-header-group; }
  tr, .lr-row { break-inside: avoid; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  .lr-bar { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"""

JS = """
(function () {
  var table = document.getElementById("candidates");
  if (!table) { return; }
  var body = table.tBodies[0], filter = document.getElementById("filter");
  var shown = document.getElementById("shown");
  function value(row, i, numeric) {
    var cell = row.cells[i], text = cell.getAttribute("data-sort") || cell.textContent;
    if (!numeric) { return text.toLowerCase(); }
    var x = parseFloat(text);
    return isNaN(x) ? -Infinity : x;
  }
  function sortBy(th, i) {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    var numeric = th.getAttribute("data-type") === "num";
    Array.prototype.forEach.call(th.parentNode.cells, function (c) {
      c.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, i, numeric), y = value(b, i, numeric);
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(th, i); });
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th, i); }
    });
  });
  filter.addEventListener("input", function () {
    var q = filter.value.trim().toLowerCase(), n = 0;
    Array.prototype.forEach.call(body.rows, function (r) {
      r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0;
      if (!r.hidden) { n += 1; }
    });
    shown.textContent = n + " of " + body.rows.length + " shown";
  });
})();
"""
