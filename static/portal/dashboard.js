// Portal dashboard: payments waiting for the customer's answer, live. portal.js owns the
// websocket and emits "smilepay:state" (which lists them) on connect and after every
// payment event; this file only draws that list and says what works without notifications.
(function () {
  "use strict";
  var section = document.getElementById("pending");
  if (!section) return;
  var list = document.getElementById("pending-list");
  var note = document.getElementById("push-note");

  // Every text this file shows (the JavaScript catalog translates them).
  var T = {
    at: function (merchant) { return interpolate(gettext("at %(merchant)s"), { merchant: merchant }, true); },
    until: function (time) { return interpolate(gettext("answer before %(time)s"), { time: time }, true); },
    approve: gettext("Approve"),
    decline: gettext("Decline"),
    withFace: gettext("Confirm with my face"),
    withPassword: gettext("Confirm with my password"),
    nothing: gettext("Nothing to confirm."),
    noPushHere: gettext("This browser can't show notifications. Keep SmilePay open here: payments to confirm appear on this page by themselves."),
    blocked: gettext("Notifications are blocked for SmilePay in this browser. Payments to confirm still appear on this page while it is open."),
    noDevice: gettext("No phone gets notifications yet. Until you turn them on, payments to confirm appear on this page while it is open."),
    turnOn: gettext("Turn on notifications"),
  };

  var timers = [];
  // Online requests are confirmed by face, or by password while face pay is off.
  var byFace = section.getAttribute("data-face-pay") === "true";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  // In the server's time zone, as every time the server writes on these pages: a phone
  // set to another zone must not see one deadline under two clocks.
  var timeZone = document.body.getAttribute("data-time-zone") || undefined;
  function clock(iso) {
    var options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZone: timeZone };
    try {
      return new Intl.DateTimeFormat("en-GB", options).format(new Date(iso));
    } catch (err) {  // an unknown zone name: the phone's own clock rather than nothing
      delete options.timeZone;
      return new Intl.DateTimeFormat("en-GB", options).format(new Date(iso));
    }
  }

  function card(p) {
    var what = el("p", { class: "pending-what" }, [
      el("b", { class: "pending-amount" }, [p.amount]), " " + T.at(p.merchant), el("br"),
      el("span", { class: "muted" }, [p.place + " · " + T.until(clock(p.expires_at))]),
    ]);
    var answer;
    if (p.answer_here) {
      answer = el("form", { method: "post", action: p.url, class: "pending-buttons", "data-once": "" }, [
        el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: section.getAttribute("data-csrf") }),
        el("button", { class: "primary", name: "action", value: "approve" }, [T.approve]),
        el("button", { class: "danger", name: "action", value: "decline" }, [T.decline]),
      ]);
    } else {
      answer = el("p", { class: "pending-buttons" }, [el("a", { class: "button", href: p.url }, [byFace ? T.withFace : T.withPassword])]);
    }
    var parts = p.obstacle ? [what, el("p", { class: "error pending-obstacle" }, [p.obstacle]), answer] : [what, answer];
    return el("article", { class: "pending-card", "data-payment-id": String(p.payment_id), "data-expires-at": p.expires_at }, parts);
  }

  // A payment no longer waits once it expires, even if no event says so (no beat running).
  function watchExpiry(items) {
    timers.forEach(clearTimeout);
    timers = items.map(function (p) {
      var wait = Math.max(0, new Date(p.expires_at).getTime() - Date.now()) + 500;
      return setTimeout(function () { document.dispatchEvent(new CustomEvent("smilepay:refresh")); }, wait);
    });
  }

  function render(items) {
    list.textContent = "";
    if (!items.length) list.appendChild(el("p", { class: "muted pending-empty" }, [T.nothing]));
    items.forEach(function (p) { list.appendChild(card(p)); });
    watchExpiry(items);
  }

  function explainPush(devices) {
    var text = "";
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) text = T.noPushHere;
    else if (Notification.permission === "denied") text = T.blocked;
    else if (!devices) text = T.noDevice;
    note.textContent = text;
    if (text === T.noDevice) {
      note.appendChild(document.createTextNode(" "));
      note.appendChild(el("a", { href: "/me/notifications/" }, [T.turnOn]));
    }
    note.hidden = !text;
  }

  // The wallet and the recent payments change with every payment too: read this page
  // again and take those two parts of it (the server renders them, in the reader's language).
  var reading = null;
  function refreshServerParts() {
    if (reading) reading.abort();
    reading = new AbortController();
    fetch(location.pathname, { credentials: "same-origin", signal: reading.signal })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["dashboard-kpis", "recent-payments"].forEach(function (id) {
          var here = document.getElementById(id), there = fresh.getElementById(id);
          if (here && there) here.replaceWith(there);
        });
      })
      .catch(function () { /* offline or aborted: the next state message tries again */ });
  }

  var seenState = false;
  document.addEventListener("smilepay:state", function (e) {
    var state = e.detail || {};
    if (state.face_pay) byFace = Boolean(state.face_pay.enabled);
    if (Array.isArray(state.pending)) render(state.pending);
    explainPush(state.devices);
    // The first state only repeats what the page was rendered with.
    if (seenState) refreshServerParts();
    seenState = true;
  });
  explainPush(section.getAttribute("data-has-devices") === "true" ? 1 : 0);
})();
