// Portal shell: the navigation, the live channel /ws/customer/ and the service worker.
(function () {
  "use strict";

  // The navigation folds behind a Menu button on narrow screens (portal.css).
  var nav = document.querySelector(".portal-nav");
  var toggle = nav && nav.querySelector(".portal-menu-toggle");
  if (toggle) {
    var here = nav.querySelector('[aria-current="page"]');
    toggle.querySelector(".portal-menu-current").textContent = here ? here.textContent : "";
    toggle.hidden = false;
    nav.setAttribute("data-folding", "true");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      nav.setAttribute("data-open", String(open));
    });
  }

  // Other scripts listen for "smilepay:event" / "smilepay:state" on document.
  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }

  var live = document.getElementById("portal-live");
  function show(text) {
    if (!live) return;
    live.textContent = text;
    live.hidden = !text;
  }

  var shell = document.querySelector(".portal[data-ws-url]");
  var retry = 1000;
  var socket = null;
  // The server's state message is the truth: after any payment event, ask for it again
  // (it lists what still waits for an answer), rather than patching the page by events.
  function refresh() {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "refresh" }));
  }
  document.addEventListener("smilepay:refresh", refresh);
  function connect() {
    if (!shell || !("WebSocket" in window)) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + shell.getAttribute("data-ws-url"));
    socket.onopen = function () {
      shell.setAttribute("data-live", "true");
    };
    socket.onmessage = function (msg) {
      // Not on open: in an outage the server accepts, then closes with 1013.
      retry = 1000;
      var data;
      try { data = JSON.parse(msg.data); } catch (err) { return; }
      if (data.type === "state") emit("smilepay:state", data);
      if (data.type === "event") {
        emit("smilepay:event", data.event);
        var type = (data.event && data.event.type) || "";
        if (type.indexOf("payment.") === 0) refresh();
        if (type === "face.status") {
          refresh();  // the page's own parts (the dashboard's "Face pay" card) follow
          show(data.event.enabled ? gettext("Face pay is on.") : (data.event.paused ? gettext("Face pay is paused.") : gettext("Face pay is off.")));
        }
      }
    };
    socket.onclose = function (e) {
      shell.setAttribute("data-live", "false");
      if (e.code === 4401 || held) return;  // signed out, or held by a test
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  // A kiosk payment's confirm page shows the outcome when it is decided or expires
  // elsewhere. Not the online checkout page: its face check drives its own page.
  var card = document.querySelector(".confirm-card[data-payment-id]:not(.checkout)");
  document.addEventListener("smilepay:event", function (e) {
    var event = e.detail || {};
    if (card && event.type === "payment.status" && event.final === true &&
        String(event.payment_id) === card.getAttribute("data-payment-id") &&
        event.status !== card.getAttribute("data-status")) {
      location.reload();
    }
  });
  connect();
  // For the browser tests: lose the connection as a phone leaving the network would,
  // and get it back when told, so that something can happen in between.
  var held = false;
  window.__smilepayHoldConnection = function () { held = true; if (socket) socket.close(); };
  window.__smilepayResumeConnection = function () { held = false; connect(); };
  // A phone that slept may have missed events: read the state again when it wakes.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") refresh();
  });

  // Register the service worker early so notifications can open the portal.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }
})();
