// SmilePay service worker: served at /sw.js (scope "/") so it covers the whole portal.
// It shows Web Push notifications and opens the right page when one is tapped.
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (err) {
    data = { title: "SmilePay", body: event.data ? event.data.text() : "" };
  }
  var options = {
    body: data.body || "",
    tag: data.tag || undefined,
    renotify: Boolean(data.tag),
    requireInteraction: true,
    data: { url: data.url || "/me/", answerUrl: data.answer_url || "", answerToken: data.answer_token || "" },
    actions: (data.actions || []).slice(0, 2),
  };
  event.waitUntil(Promise.all([
    self.registration.showNotification(data.title || "SmilePay", options),
    // Let open portal pages know too (tests and live pages listen for this).
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (clients) {
      clients.forEach(function (c) { c.postMessage({ type: "push", payload: data }); });
    }),
  ]));
});

function openPage(url) {
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (clients) {
    for (var i = 0; i < clients.length; i++) {
      if ("focus" in clients[i]) {
        clients[i].navigate(url);
        return clients[i].focus();
      }
    }
    return self.clients.openWindow(url);
  });
}

// A tapped Approve / Decline answers at once with the push's answer token
// (payments/push_answers.py) and says the outcome in a notification of its own; if the
// answer cannot be given (no network, expired, an online request's face check), the
// payment's page opens instead, where the customer answers.
function answer(data, action) {
  return fetch(data.answerUrl, {
    method: "POST",
    credentials: "omit",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: data.answerToken, action: action }),
  }).then(function (response) {
    return response.json().then(function (body) {
      if (!response.ok || !body.message) throw new Error("not answered");
      return self.registration.showNotification("SmilePay", { body: body.message, tag: "answer-" + data.url });
    });
  });
}

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var data = event.notification.data || {};
  var url = data.url || "/me/";
  if (event.action && data.answerUrl && data.answerToken) {
    event.waitUntil(answer(data, event.action).catch(function () { return openPage(url); }));
    return;
  }
  event.waitUntil(openPage(url));
});
