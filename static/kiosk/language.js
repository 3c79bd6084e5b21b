// The kiosk's FR/EN toggle (the language switcher in its top bar). Switching reloads the
// page in the other language; nothing is lost: the device stays paired (its cookie), a
// payment under way comes back from the server over the websocket, and an amount being
// typed is typed again here. The camera screen hides the toggle (a reload would stop it).
//
// Whose language it is: switched on the amount screen (the cashier's), it becomes the
// kiosk's language; switched during a payment (a shopper's), it lasts until that payment
// is over, and the kiosk goes back to its own language for the next customer.
(() => {
  "use strict";
  const app = document.getElementById("app");
  const form = document.querySelector("[data-language-switcher]");
  if (!app || !form) return;
  const HOME = "smilepay.kiosk.homeLanguage";
  const TYPED = "smilepay.kiosk.typedMinor";
  const current = document.documentElement.lang;
  let sawPayment = false;

  form.addEventListener("submit", () => {
    if (app.dataset.state === "amount") {
      sessionStorage.removeItem(HOME);
      sessionStorage.setItem(TYPED, app.dataset.typedMinor || "0");
    } else if (!sessionStorage.getItem(HOME)) {
      sessionStorage.setItem(HOME, current);
    }
  });

  function backHome() {
    const home = sessionStorage.getItem(HOME);
    sessionStorage.removeItem(HOME);
    const button = home && home !== current && form.querySelector(`button[value="${home}"]`);
    if (button) form.requestSubmit(button);
  }

  function follow() {
    const state = app.dataset.state;
    form.hidden = state === "camera";
    if (state !== "amount") sawPayment = true;
    else if (sawPayment) backHome();
  }
  new MutationObserver(follow).observe(app, { attributes: true, attributeFilter: ["data-state"] });
  follow();

  // The amount the cashier was typing when the language changed: type it again.
  const typed = sessionStorage.getItem(TYPED);
  sessionStorage.removeItem(TYPED);
  if (typed && /^[1-9][0-9]*$/.test(typed) && app.dataset.state === "amount") {
    for (const digit of typed) app.querySelector(`.key[data-key="${digit}"]`)?.click();
  }
})();
