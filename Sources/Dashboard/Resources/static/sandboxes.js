// Sandboxes page: refreshes the table's rows (state, CPU, memory) every 5 s.
//
// A poll, not the SSE stream the run pages use: a sandbox's CPU and memory are not events the
// server records, so a stream would have to sample Docker on a timer for each open page anyway.
// A poll costs the same, holds no connection open (HTTP/1.1 browsers allow ~6 per origin, kept
// for the run streams), and stops while the tab is hidden. The server renders the rows.
"use strict";

(function () {
  var interval = 5000;
  var timer = null;

  function refresh() {
    var table = document.getElementById("sandboxes");
    var body = document.getElementById("sandbox-rows");
    if (!table || !body || document.hidden) return schedule();
    fetch(table.getAttribute("data-poll"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // A session that ended is sent to sign-in: stop rather than swap the sign-in page in.
        if (!response.ok || response.redirected) throw new Error("sandboxes: " + response.status);
        return response.text();
      })
      .then(function (html) {
        var current = document.getElementById("sandbox-rows");
        if (current) current.outerHTML = html;
        schedule();
      })
      .catch(function () { timer = null; });
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(refresh, interval);
  }

  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  document.addEventListener("DOMContentLoaded", schedule);
})();
