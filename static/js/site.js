// Behaviour for every page (templates/base.html), in a file rather than inline handlers
// (onclick, onsubmit, javascript: links), so that the Content-Security-Policy refuses
// every inline script.
//   <form data-confirm="Question?">  asks before submitting;
//   <form data-once>                 sends once: a second click would repeat the request;
//   <a data-go-back>                 goes back a page (its href is the fallback).
(function () {
  "use strict";
  // The reader's time zone, for the times the server writes on the next pages
  // (smilepay/viewer_time_zone.py).
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("smilepay_tz=" + encodeURIComponent(zone)) < 0) {
      document.cookie = "smilepay_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax" +
        (location.protocol === "https:" ? "; Secure" : "");
    }
  } catch (err) { /* an old browser: the deployment's zone, as before */ }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (!form.hasAttribute("data-once")) return;
    if (form.hasAttribute("data-submitting")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "");
    // After this event: a button disabled now would drop the clicked one's name and value.
    setTimeout(function () {
      form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-go-back]");
    if (!link || window.history.length < 2) return;
    event.preventDefault();
    window.history.back();
  });
})();
