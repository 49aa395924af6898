// Sandbox terminal: xterm.js 3.x (window.Terminal, bundled with its fit addon by
// scripts/ui-assets) attached to the page's WebSocket. Binary frames carry the PTY's bytes both
// ways; a text frame {"type":"resize","rows":R,"cols":C} follows the window's size; the server
// ends with {"type":"exit","exit_code":N}. The socket is authorized by the session cookie.
"use strict";

(function () {
  function start() {
    var element = document.getElementById("terminal");
    var status = document.getElementById("terminal-status");
    function say(text) { if (status) status.textContent = text; }
    if (!element) return;
    if (!window.Terminal) { say("The terminal library did not load (see /ui/vendor/xterm.js)."); return; }

    // The canvas renderer, with the screen reader mode's accessibility tree keeping the screen's
    // text in the page (for screen readers and tests). Not the DOM renderer: it writes its theme
    // into <style> elements, which the CSP refuses (and reports on every redraw).
    var term = new window.Terminal({
      cursorBlink: true, rendererType: "canvas", screenReaderMode: true, fontSize: 13, scrollback: 5000
    });
    term.open(element);
    if (term.fit) term.fit();

    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + window.location.host + element.getAttribute("data-socket") + "?rows=" + term.rows + "&cols=" + term.cols;
    var socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    var decoder = new TextDecoder();
    var encoder = new TextEncoder();
    var exited = false;

    socket.addEventListener("open", function () { say("Connected."); term.focus(); });
    socket.addEventListener("message", function (event) {
      if (typeof event.data === "string") {
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        if (message.type === "exit") { exited = true; say("The shell exited with code " + message.exit_code + "."); }
        return;
      }
      // stream: a character split across two frames is decoded whole.
      term.write(decoder.decode(new Uint8Array(event.data), { stream: true }));
    });
    socket.addEventListener("close", function () { if (!exited) say("Disconnected. Reload to open a new shell."); });
    socket.addEventListener("error", function () { say("The terminal could not connect (is the sandbox still running?)."); });

    term.on("data", function (data) { if (socket.readyState === WebSocket.OPEN) socket.send(encoder.encode(data)); });
    term.on("resize", function (size) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "resize", rows: size.rows, cols: size.cols }));
    });
    window.addEventListener("resize", function () { if (term.fit) term.fit(); });
    // A click anywhere on the terminal (its accessibility tree lies over the canvas) gives the
    // keyboard back to xterm's input.
    element.addEventListener("click", function () { term.focus(); });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
