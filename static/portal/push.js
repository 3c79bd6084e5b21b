// Notifications page: subscribe this device to Web Push, unsubscribe, send a test.
(function () {
  "use strict";
  var root = document.getElementById("push");
  if (!root) return;
  var state = document.getElementById("push-state");
  var enable = document.getElementById("push-enable");
  var disable = document.getElementById("push-disable");
  var testForm = document.getElementById("push-test-form");

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return m ? decodeURIComponent(m[1]) : (input ? input.value : "");
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify(body || {}),
    });
  }
  function keyBytes(b64) {
    var pad = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function say(text) { state.textContent = text; }

  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    say(gettext("This browser cannot receive notifications. On an iPhone, add SmilePay to the home screen first."));
    return;
  }

  function refresh(registration) {
    return registration.pushManager.getSubscription().then(function (sub) {
      enable.hidden = Boolean(sub);
      disable.hidden = !sub;
      if (!sub && window.Notification && Notification.permission === "denied") {
        // Blocked already: say so now, and how to undo it, rather than after a tap.
        say(gettext("Notifications are blocked for SmilePay in this browser. Allow them in the site's settings (the icon next to the address), then reload this page."));
      } else {
        say(sub ? gettext("Notifications are on for this device.") : gettext("Notifications are off for this device."));
      }
      return sub;
    });
  }

  function whyNot(err) {
    if (err && err.name === "NotAllowedError") {
      return gettext("This browser refuses notifications here: private browsing, or blocked in its settings.");
    }
    if (err && err.fromBrowser) {
      return gettext("This browser's notification service did not answer. Private browsing cannot receive notifications; otherwise try again later.");
    }
    if (!navigator.onLine || (err && err.name === "TypeError")) {
      return gettext("No connection: check your network, then try again.");
    }
    return gettext("Could not turn on notifications. Try again.");
  }

  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    refresh(registration);
    enable.addEventListener("click", function () {
      say(gettext("Asking your browser…"));
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") { say(gettext("Notifications are blocked in this browser's settings.")); return; }
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(root.getAttribute("data-vapid-public-key")),
        }).catch(function (err) {
          // The browser's own push service said no: say why a retry may not help.
          err.fromBrowser = true;
          throw err;
        }).then(function (sub) {
          return post(root.getAttribute("data-subscribe-url"), sub.toJSON());
        }).then(function (response) {
          if (!response.ok) throw new Error("subscribe failed");
          return refresh(registration);
        });
      }).catch(function (err) { say(whyNot(err)); });
    });
    disable.addEventListener("click", function () {
      registration.pushManager.getSubscription().then(function (sub) {
        if (!sub) return;
        return post(root.getAttribute("data-unsubscribe-url"), { endpoint: sub.endpoint })
          .then(function () { return sub.unsubscribe(); });
      }).then(function () { return refresh(registration); });
    });
  });

  testForm.addEventListener("submit", function (e) {
    e.preventDefault();
    post(testForm.action).then(function (r) { return r.json(); }).then(function (data) {
      say(data.devices ? gettext("Test notification sent. It should arrive in a few seconds.") : gettext("Turn on notifications on this device first."));
    });
  });
})();
