// Sandcastle dashboard: progressive enhancement only. Every page works without this file;
// with it, pages update live (server-sent HTML fragments swapped by element id), logs
// follow, and the keyboard moves around. No inline script anywhere (the CSP forbids it).
"use strict";

(function () {
  // ---- Live updates: one EventSource per page; fragments replace elements by id. ----
  function startStream() {
    var url = document.body.getAttribute("data-stream");
    if (!url || !window.EventSource) return;
    var source = new EventSource(url);
    source.addEventListener("replace", function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      var target = document.getElementById(message.target);
      if (target) {
        var wasFollowing = isFollowing(target);
        target.outerHTML = message.html;
        if (wasFollowing) follow(document.getElementById(message.target));
      } else if (message.insert) {
        var container = document.getElementById(message.insert);
        if (container) container.insertAdjacentHTML("afterbegin", message.html);
      }
      document.dispatchEvent(new CustomEvent("sandcastle:updated", { detail: message.target }));
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // ---- Logs follow the end until the reader scrolls up; back at the bottom, they follow again. ----
  function isFollowing(element) {
    if (!element || !element.matches || !element.matches("[data-follow]")) return false;
    return element.scrollHeight - element.scrollTop - element.clientHeight < 24;
  }
  function follow(element) {
    if (element && element.matches && element.matches("[data-follow]")) element.scrollTop = element.scrollHeight;
  }

  // ---- Theme: the server renders the chosen one; with none chosen the system's applies,
  // so the switch must name the opposite of what the reader actually sees. ----
  function fixThemeSwitch() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    var chosen = document.documentElement.getAttribute("data-theme");
    var dark = chosen ? chosen === "dark" : window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    button.value = dark ? "light" : "dark";
    button.textContent = dark ? "Light theme" : "Dark theme";
  }

  // ---- Confirmations and copy buttons. ----
  document.addEventListener("click", function (event) {
    var confirmer = event.target.closest("[data-confirm]");
    if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm"))) { event.preventDefault(); return; }
    var copier = event.target.closest("[data-copy]");
    if (copier) {
      var source = document.getElementById(copier.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () { copier.textContent = "Copied"; });
      }
    }
  });

  // ---- Keyboard: g + letter jumps, j/k move through rows, Enter opens, / filters, ? helps. ----
  var jumps = { o: "overview", r: "runs", w: "workflows", a: "approvals", s: "schedules", d: "dead-letters", k: "keys", v: "violations", u: "audit", b: "sandboxes" };
  var pendingG = false;
  var rowIndex = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table[data-rows] tbody tr")); }
  function select(index) {
    var list = rows();
    if (!list.length) return;
    rowIndex = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (row, i) { row.classList.toggle("kbd-selected", i === rowIndex); });
    list[rowIndex].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    var typing = event.target.closest("input, textarea, select, [contenteditable], .xterm");
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    var help = document.getElementById("help");
    if (pendingG) {
      pendingG = false;
      var link = jumps[event.key] && document.querySelector('a[data-nav="' + jumps[event.key] + '"]');
      if (link) { window.location.href = link.href; event.preventDefault(); }
      return;
    }
    switch (event.key) {
      case "g": pendingG = true; break;
      case "j": select(rowIndex + 1); break;
      case "k": select(rowIndex - 1); break;
      case "Enter":
        var row = rows()[rowIndex];
        var target = row && row.querySelector("a[href]");
        if (target) window.location.href = target.href;
        break;
      case "/":
        var filter = document.querySelector("[data-filter]");
        if (filter) { filter.focus(); event.preventDefault(); }
        break;
      case "t":
        var toggle = document.getElementById("theme-toggle");
        if (toggle) toggle.click();
        break;
      case "?": if (help) help.hidden = !help.hidden; break;
      case "Escape": if (help) help.hidden = true; break;
      default: return;
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    fixThemeSwitch();
    document.querySelectorAll("[data-follow]").forEach(follow);
    startStream();
  });
})();
