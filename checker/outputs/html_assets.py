"""The fleet report page's own style and script, and the Content-Security-Policy that allows them
by their hashes and nothing else (see checker/outputs/html.py)."""

from __future__ import annotations

import base64
import hashlib

STYLE = """
[hidden]{display:none!important}
body{font:15px/1.45 system-ui,sans-serif;color:#1f2328;margin:1.5rem auto;max-width:100rem;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.75rem 0 .5rem}
.meta{color:#57606a;margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:.75rem;list-style:none;padding:0}
.card{border:1px solid #d0d7de;border-left-width:6px;border-radius:6px;padding:.6rem .8rem}
.card p{margin:.3rem 0 0;font-size:.85rem;color:#3d444d}
.count{font-size:1.6rem;font-weight:700;margin-right:.35rem}.card .label{font-weight:600}
.compliant{border-left-color:#1a7f37}.fixed{border-left-color:#0969da}.still_on{border-left-color:#c2410c}
.needs_person{border-left-color:#8250df}.not_offered{border-left-color:#6b7280}
.card.error{border-left-color:#b91c1c}.card.drift{border-left-color:#b45309}time{white-space:nowrap}
#chart{width:100%;max-width:760px;height:auto}
.controls{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;margin:.5rem 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.88rem}
th,td{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}
th button{text-align:left;font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
td.number{text-align:right}td.error{overflow-wrap:anywhere;min-width:12rem;max-width:24rem}
td.path{overflow-wrap:anywhere;min-width:8rem;max-width:16rem}
.badge{border-radius:1rem;padding:0 .5rem;white-space:nowrap;color:#fff}
.badge.compliant{background:#1a7f37}.badge.still_on{background:#c2410c}.badge.needs_person{background:#8250df}
.badge.not_offered{background:#6b7280}.badge.error{background:#b91c1c}.name{color:#57606a;font-size:.8rem}
@media print{.controls{display:none}}
"""

SCRIPT = """
"use strict";
(function () {
  var table = document.getElementById("fleet");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var search = document.getElementById("search");
  var status = document.getElementById("status");
  var shown = document.getElementById("shown");
  function key(row, column, numeric) {
    var cell = row.cells[column];
    var text = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    return numeric ? Number(text) : text.trim();
  }
  headers.forEach(function (th, column) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      var numeric = th.getAttribute("data-type") === "number";
      headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = key(a, column, numeric), y = key(b, column, numeric);
        var order = numeric ? x - y : x.localeCompare(y, undefined, {sensitivity: "base", numeric: true});
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  function filter() {
    var words = search.value.trim().toLowerCase();
    var wanted = status.value;
    var count = 0;
    rows.forEach(function (row) {
      var match = (!wanted || row.getAttribute("data-status") === wanted) &&
        (!words || row.textContent.toLowerCase().indexOf(words) !== -1);
      row.hidden = !match;
      if (match) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " shown";
  }
  search.addEventListener("input", filter);
  status.addEventListener("change", filter);
  document.getElementById("controls").hidden = false;
  filter();
})();
"""


def content_security_policy() -> str:
    """Nothing may load; only this page's own script and style, by their hashes, may apply."""
    return (
        f"default-src 'none'; script-src {_hash(SCRIPT)}; style-src {_hash(STYLE)};"
        " base-uri 'none'; form-action 'none'"
    )


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"
