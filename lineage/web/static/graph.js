// The person's data map, drawn with the vendored cytoscape.js from the JSON the page embeds.
// Columns by kind (person, stores, processors, sub-processors by depth, countries), so the
// picture reads left to right as the data travels; nodes can be dragged, the view zoomed.
(function () {
  "use strict";
  var source = document.getElementById("graph-data");
  var box = document.getElementById("graph");
  if (!source || !box || typeof cytoscape === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var columns = Array.from(new Set(data.nodes.map(function (n) { return n.column; }))).sort(function (a, b) { return a - b; });
  var rows = {};
  var elements = data.nodes.map(function (n) {
    var col = columns.indexOf(n.column);
    rows[col] = (rows[col] || 0) + 1;
    return { group: "nodes", data: n, position: { x: col * 230, y: rows[col] * 70 } };
  });
  // centre each column vertically
  var tallest = Math.max.apply(null, Object.keys(rows).map(function (k) { return rows[k]; }));
  elements.forEach(function (e) {
    var col = columns.indexOf(e.data.column);
    e.position.y += (tallest - rows[col]) * 35;
  });
  data.edges.forEach(function (e) { elements.push({ group: "edges", data: e }); });
  var cy = cytoscape({
    container: box, elements: elements, layout: { name: "preset", fit: true, padding: 30 },
    wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: { "label": "data(label)", "font-size": 11, "text-valign": "bottom", "text-margin-y": 4,
        "text-wrap": "wrap", "text-max-width": 180, "width": 26, "height": 26, "background-color": "#546e7a" } },
      { selector: "node[kind = 'person']", style: { "background-color": "#1f4e8c", "width": 34, "height": 34 } },
      { selector: "node[kind = 'store']", style: { "shape": "round-rectangle", "background-color": "#0288d1" } },
      { selector: "node[kind = 'sub-processor']", style: { "background-color": "#90a4ae" } },
      { selector: "node[kind = 'country']", style: { "shape": "diamond", "background-color": "#ffb300", "label": "data(label)", "font-weight": "bold" } },
      { selector: "node[?overdue]", style: { "border-width": 4, "border-color": "#c62828" } },
      { selector: "node[?held]", style: { "border-width": 4, "border-color": "#6a1b9a", "border-style": "double" } },
      { selector: "node[?erased]", style: { "opacity": 0.45 } },
      { selector: "node[?undeclared]", style: { "background-color": "#c62828" } },
      { selector: "edge", style: { "width": 2, "line-color": "#7c8a9e", "target-arrow-color": "#7c8a9e",
        "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.8 } },
      { selector: "edge[!approved]", style: { "line-color": "#c62828", "target-arrow-color": "#c62828", "width": 3, "line-style": "dashed" } },
      { selector: ":selected", style: { "overlay-color": "#1f4e8c", "overlay-opacity": 0.15 } }
    ]
  });
  var detail = document.getElementById("graph-detail");
  cy.on("tap", "node, edge", function (event) {
    var d = event.target.data();
    var text = d.source
      ? d.source.replace(/^\w+(-\w+)?:/, "") + " \u2192 " + d.target.replace(/^\w+(-\w+)?:/, "") + ": " + d.relation +
        (d.status ? " \u00b7 " + d.status + (d.reason ? " (" + d.reason + ")" : "") : "")
      : d.kind + ": " + d.label + (d.overdue ? " \u00b7 overdue data" : "") + (d.held ? " \u00b7 under a legal hold" : "") +
        (d.undeclared ? " \u00b7 not declared in the catalog" : "") + (d.erased ? " \u00b7 nothing held any more" : "");
    detail.textContent = text;
  });
  window.lineageGraph = cy;  // for the browser tests
})();
