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
    data: { url: data.url || "/me/" },
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

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/me/";
  if (event.action) {
    url += (url.indexOf("?") < 0 ? "?" : "&") + "action=" + encodeURIComponent(event.action);
  }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (clients) {
      for (var i = 0; i < clients.length; i++) {
        if ("focus" in clients[i]) {
          clients[i].navigate(url);
          return clients[i].focus();
        }
      }
      return self.clients.openWindow(url);
    })
  );
});
