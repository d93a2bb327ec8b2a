// rewind console: the deployment page's progress bar follows S1 (Server-Sent Events over the
// console's session cookie). Nothing else runs script; served from the binary (U1).
(function () {
  "use strict";
  var box = document.querySelector("[data-stream]");
  if (!box || !window.EventSource) { return; }
  var bar = box.querySelector("progress");
  var label = box.querySelector("[data-progress-label]");
  var status = document.querySelector("[data-status]");
  var counts = {
    published: document.querySelector("[data-count=published]"),
    unpublished: document.querySelector("[data-count=unpublished]"),
    skipped: document.querySelector("[data-count=skipped]")
  };
  var finals = { succeeded: true, failed: true, cancelled: true };
  var source = new EventSource(box.getAttribute("data-stream"));
  source.addEventListener("deployment", function (e) {
    var d = JSON.parse(e.data);
    var total = d.progress.total, done = d.progress.done;
    var pct = total > 0 ? Math.floor((done * 100) / total) : (d.status === "succeeded" ? 100 : 0);
    bar.max = 100;
    bar.value = pct;
    label.textContent = done + " / " + total + " (" + pct + "%)";
    box.setAttribute("data-percent", String(pct));
    if (status) { status.textContent = d.status.replace(/_/g, " "); status.className = "status " + d.status; }
    Object.keys(counts).forEach(function (k) { if (counts[k]) { counts[k].textContent = String(d.counts[k]); } });
    if (finals[d.status]) {
      source.close();
      box.setAttribute("data-final", d.status);
      // The items and their outcomes are on the server's page: show them as they now are.
      window.setTimeout(function () { window.location.reload(); }, 400);
    }
  });
  source.onerror = function () { if (box.getAttribute("data-final")) { source.close(); } };
})();
