// The dashboard's only script (inline, with the page's CSP nonce): polls the JSON status API and updates the page with
// textContent only (no HTML is ever built from the API's answers). Runs list: status and counts per row. Run page:
// status, counts and one progress bar per model x benchmark; a finished run reloads once to show its results.
(function () {
  "use strict";
  var terminal = ["completed", "failed", "cancelled", "interrupted"];
  var live = document.getElementById("run-live");
  var list = document.getElementById("runs-live");

  function text(id, value) {
    var node = document.getElementById(id);
    if (node) { node.textContent = value === null || value === undefined ? "" : String(value); }
  }

  function statusClass(node, status) {
    node.className = "status-" + status;
    node.textContent = status;
  }

  function bars(progress) {
    var target = document.getElementById("run-bars");
    if (!target || !progress) { return; }
    while (target.firstChild) { target.removeChild(target.firstChild); }
    progress.bars.forEach(function (bar) {
      var item = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = bar.label + " ";
      var meter = document.createElement("progress");
      meter.max = Math.max(1, bar.total);
      meter.value = bar.completed;
      var count = document.createElement("span");
      count.className = "count";
      count.textContent = " " + bar.completed + " / " + bar.total + (bar.reused ? " (" + bar.reused + " reused)" : "");
      item.appendChild(label);
      item.appendChild(meter);
      item.appendChild(count);
      target.appendChild(item);
    });
  }

  function poll(url, render, again) {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body !== null && render(body) === false) { return; } setTimeout(again, 1000); })
      .catch(function () { setTimeout(again, 2000); });
  }

  function pollRun() {
    poll(live.getAttribute("data-status-url"), function (run) {
      statusClass(document.getElementById("run-status"), run.status);
      text("run-results", run.results);
      text("run-computed", run.computed);
      text("run-reused", run.reused);
      text("run-error", run.error);
      bars(run.progress);
      if (terminal.indexOf(run.status) >= 0) { window.location.reload(); return false; }
      return true;
    }, pollRun);
  }

  function pollList() {
    poll(list.getAttribute("data-status-url"), function (runs) {
      runs.forEach(function (run) {
        var row = document.querySelector("tr[data-run-id=\"" + CSS.escape(run.runId) + "\"]");
        if (!row) { return; }
        statusClass(row.querySelector(".run-status"), run.status);
        row.querySelector(".run-results").textContent = String(run.results);
      });
      return true;
    }, pollList);
  }

  if (live && terminal.indexOf(live.getAttribute("data-status")) < 0) { setTimeout(pollRun, 500); }
  if (list) { setTimeout(pollList, 2000); }
})();
