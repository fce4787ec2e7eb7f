// The case finder: filters window.KB_CASES (finder-index.js, written by `kb site`) in the page.
// No server and no other host: the site works from any static folder or from disk.
(function () {
  "use strict";
  var cases = window.KB_CASES || [];
  var form = document.getElementById("finder");
  var table = document.getElementById("finder-results");
  var status = document.getElementById("finder-status");
  if (!form || !table) { return; }
  var LIMIT = 500; // rows drawn at once; the status line says how many match
  var facets = ["subtypes", "condition", "site", "treatment", "outcome"];

  function fill(select, field) {
    var seen = {};
    cases.forEach(function (c) { (c[field] || []).forEach(function (v) { seen[v] = (seen[v] || 0) + 1; }); });
    Object.keys(seen).sort().forEach(function (v) {
      var option = document.createElement("option");
      option.value = v;
      option.textContent = v + " (" + seen[v] + ")";
      select.appendChild(option);
    });
  }

  function words(c) {
    return [c.label, c.source, c.diagnosis, c.case].concat(c.subtypes, c.patterns, c.authors, c.condition,
      c.site, c.lab, c.treatment, c.outcome).join(" ").toLowerCase();
  }
  cases.forEach(function (c) { c._text = words(c); });

  function cell(row, text, href) {
    var td = document.createElement("td");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    row.appendChild(td);
  }

  function update() {
    var wanted = {};
    facets.forEach(function (f) { wanted[f] = form.elements[f].value; });
    var text = form.elements.text.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var found = cases.filter(function (c) {
      for (var i = 0; i < facets.length; i++) {
        var f = facets[i];
        if (wanted[f] && (c[f] || []).indexOf(wanted[f]) < 0) { return false; }
      }
      return text.every(function (w) { return c._text.indexOf(w) >= 0; });
    });
    var body = table.tBodies[0];
    body.textContent = "";
    found.slice(0, LIMIT).forEach(function (c) {
      var row = document.createElement("tr");
      row.dataset.case = c.case;
      cell(row, c.label, "cases/" + encodeURIComponent(c.id) + ".html");
      cell(row, c.subtypes.join(", ") || "undetermined");
      cell(row, c.patterns.join(", ") || "none");
      cell(row, c.authors.join(", ") || "none stated");
      cell(row, c.source);
      body.appendChild(row);
    });
    table.hidden = false;
    status.textContent = found.length + " of " + cases.length + " cases match" +
      (found.length > LIMIT ? "; the first " + LIMIT + " are shown" : "") + ".";
  }

  fill(form.elements.subtypes, "subtypes");
  ["condition", "site", "treatment", "outcome"].forEach(function (f) { fill(form.elements[f], f); });
  form.hidden = false;
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
  form.addEventListener("reset", function () { window.setTimeout(update, 0); });
  update();
}());
