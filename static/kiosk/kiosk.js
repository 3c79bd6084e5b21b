// The kiosk page: amount entry, the smile burst, and a live view of the payment.
// State comes from the server (websocket + JSON responses); the page only adds what the
// server cannot know: that the camera is running right now.
(() => {
  "use strict";
  const app = document.getElementById("app");
  const csrf = app.dataset.csrf;
  const currency = app.dataset.currency;
  const exponent = Number(app.dataset.exponent || 2);
  const maxMinor = Number(app.dataset.maxAmount || 0);
  const video = document.getElementById("video");
  const promptEl = document.getElementById("prompt");
  const errorEl = document.getElementById("error");
  const dot = document.getElementById("connection");
  const connectionLost = document.getElementById("connection-lost");

  const FAILURES = {
    no_face: [gettext("We couldn't see a face"), gettext("Look straight at the camera, in good light.")],
    not_live: [gettext("Please follow the prompts"), gettext("Look at the camera, and smile or relax when asked.")],
    presentation_attack: [gettext("That looked like a photo"), gettext("Please stand in front of the camera yourself.")],
    bad_image: [gettext("The camera picture was unusable"), gettext("Try again.")],
    no_match: [gettext("Not recognised"), gettext("Try again, or pay another way.")],
    frames_expired: [gettext("That took too long"), gettext("Try again.")],
    recognition_timeout: [gettext("That took too long"), gettext("Try again.")],
    recognition_unavailable: [gettext("Face pay is not available right now"), gettext("Try again in a moment, or pay another way.")],
    rate_limited: [gettext("Too many attempts"), gettext("Please pay another way.")],
  };

  // Declines decided by the customer's own rules, shown so they know to pay another way.
  const DECLINES = {
    insufficient_funds: gettext("Not enough balance"),
    over_payment_limit: gettext("Over your face-pay limit"),
    over_daily_limit: gettext("Over your daily face-pay limit"),
  };

  // Why the digits screen appears. "ambiguous" covers look-alikes, a customer who always
  // wants digits and a search grown too wide, and must not say which.
  const DIGITS_WHY = {
    shop: gettext("This shop asks for the last 4 digits of your phone."),
    many_customers: gettext("Many people pay with their face here: enter the last 4 digits of your phone so we find you."),
    ambiguous: gettext("We need the last 4 digits of your phone to be sure it's you."),
    customer_setting: gettext("Enter the last 4 digits of your phone so we find you."),
  };

  // The amount entry's own messages.
  const AMOUNT_TEXT = {
    tooLarge: (max) => interpolate(gettext("The most this shop takes in one payment is %(max)s."), { max }, true),
  };
  // No notification reaches the customer's phone (none turned on, or the push failed).
  const PHONE_UNREACHABLE = gettext("No notification? Open SmilePay on your phone: the payment is waiting there.");

  let payment = null;      // the payment on screen, as the server last described it
  let cents = 0;           // amount being typed
  let capturing = false;   // the camera is running: server updates wait until it stops
  let busy = false;        // a request is in flight: ignore repeated taps

  // Minor units to money with the currency's own exponent (JPY has none, KWD three).
  const money = (minor) =>
    new Intl.NumberFormat(document.documentElement.lang || undefined, {
      style: "currency",
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    }).format(minor / 10 ** exponent);

  // When each screen appeared: a tap that lands on a screen younger than this was meant
  // for the one before it (the second tap of a double tap on "Next customer" would
  // otherwise type the key under it into the next customer's amount).
  // data-settled tells when taps count again (tests read it, as they read data-state).
  const GHOST_TAP_MS = 450;
  let settling = null;

  function show(name) {
    if (app.dataset.state !== name) {
      app.dataset.settled = "false";
      clearTimeout(settling);
      settling = setTimeout(() => (app.dataset.settled = "true"), GHOST_TAP_MS);
    }
    for (const section of app.querySelectorAll("[data-screen]")) {
      section.hidden = section.dataset.screen !== name;
    }
    app.dataset.state = name;
  }

  function showError(message) {
    errorEl.textContent = message || "";
    errorEl.hidden = !message;
  }

  function bind(p) {
    for (const el of app.querySelectorAll('[data-bind="amount"]')) el.textContent = money(p.amount_minor);
    for (const el of app.querySelectorAll('[data-bind="customer"]')) el.textContent = p.customer || "";
  }

  async function api(path, { json, form, method = "POST" } = {}) {
    const headers = { "X-CSRFToken": csrf };
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form) {
      body = form;
    }
    const response = await fetch(`/kiosk/api/${path}`, { method, headers, body, credentials: "same-origin" });
    const data = await response.json().catch(() => ({}));
    if (response.status === 401) location.reload();
    if (!response.ok) {
      const error = new Error(data.error?.message || gettext("Something went wrong. Try again."));
      error.code = data.error?.code;
      throw error;
    }
    return data;
  }

  function render(p) {
    if (!p || p.status === "canceled") {
      payment = null;
      showAmount();
      // Canceled here or by the shop's system: say so, so nobody thinks it was paid.
      if (p) amountHint(interpolate(gettext("Canceled: %(amount)s was not charged."), { amount: money(p.amount_minor) }, true));
      return;
    }
    payment = p;
    bind(p);
    if (p.status === "created") show("ready");
    else if (p.status === "matching") show("analysing");
    else if (p.status === "awaiting_confirmation") showConfirm(p);
    else if (p.status === "failed") showFailure(p);
    else if (p.final) showDone(p);
  }

  function showConfirm(p) {
    const hint = document.getElementById("phone-hint");
    hint.textContent = p.phone_unreachable ? PHONE_UNREACHABLE : "";
    hint.hidden = !p.phone_unreachable;
    show("confirm");
  }

  function askForDigits(why) {
    document.getElementById("digits").value = "";
    document.getElementById("digits-why").textContent = why;
    show("digits");
  }

  function showFailure(p) {
    if (p.reason === "ambiguous") {
      askForDigits(DIGITS_WHY.ambiguous);
      return;
    }
    const [title, hint] = FAILURES[p.reason] || FAILURES.no_match;
    document.getElementById("failed-title").textContent = title;
    document.getElementById("failed-hint").textContent = hint;
    show("failed");
  }

  function showDone(p) {
    const ok = p.status === "succeeded";
    const icon = document.getElementById("outcome-icon");
    icon.textContent = ok ? "✓" : "✕";
    icon.classList.toggle("bad", !ok);
    document.getElementById("outcome-title").textContent =
      DECLINES[p.reason] ||
      { succeeded: gettext("Paid"), declined: gettext("Declined on the phone"), expired: gettext("Not confirmed in time") }[p.status] ||
      p.status;
    show("done");
  }

  function showAmount() {
    cents = 0;
    app.dataset.typedMinor = "0";
    amountHint("");
    document.getElementById("amount-display").textContent = money(0);
    document.getElementById("charge").disabled = true;
    show("amount");
  }

  function onServerPayment(p) {
    // A fresh screen ignores an old finished payment; it follows new or tracked ones.
    if (!p || (p.final && (!payment || payment.id !== p.id))) return;
    if (payment && p.id < payment.id) return;
    if (capturing) {
      payment = p;
      return;
    }
    render(p);
  }

  async function guarded(action) {
    if (busy) return;
    busy = true;
    showError("");
    try {
      await action();
    } catch (error) {
      showError(error.message);
      if (payment) render(payment);
    } finally {
      busy = false;
    }
  }

  // --- amount entry (the keypad, or a physical keyboard) ---------------------------------
  function amountHint(text) {
    const hint = document.getElementById("amount-hint");
    hint.textContent = text || "";
    hint.hidden = !text;
  }

  function typeKey(key) {
    amountHint("");
    if (key === "clear") cents = 0;
    else if (key === "back") cents = Math.floor(cents / 10);
    else {
      const next = cents * 10 + Number(key);
      // Never past the shop's maximum: the digit is refused and the cashier told why.
      if (maxMinor && next > maxMinor) amountHint(AMOUNT_TEXT.tooLarge(money(maxMinor)));
      else cents = next;
    }
    document.getElementById("amount-display").textContent = money(cents);
    document.getElementById("charge").disabled = cents <= 0;
    app.dataset.typedMinor = String(cents);  // kept across a language switch (language.js)
  }

  document.getElementById("keypad").addEventListener("click", (event) => {
    const key = event.target.dataset?.key;
    // Only a person's tap can be a ghost: the language switch types the amount again by
    // script (static/kiosk/language.js), right after the page loads.
    const ghost = event.isTrusted && app.dataset.settled === "false";
    if (key && !ghost) typeKey(key);
  });

  const KEYBOARD = { Backspace: "back", Delete: "clear", Escape: "clear" };
  document.addEventListener("keydown", (event) => {
    if (app.dataset.state !== "amount" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (/^[0-9]$/.test(event.key)) typeKey(event.key);
    else if (KEYBOARD[event.key]) typeKey(KEYBOARD[event.key]);
    else if (event.key === "Enter") {
      if (!document.getElementById("charge").disabled) document.getElementById("charge").click();
    } else return;
    event.preventDefault();
  });

  document.getElementById("charge").addEventListener("click", () =>
    guarded(async () => {
      const data = await api("payments", { json: { amount_minor: cents } });
      render(data.payment);
    }),
  );

  // --- the smile burst (static/js/smile_burst.js) -----------------------------------
  async function smileToPay(phoneDigits = "") {
    const ticket = await api(`payments/${payment.id}/capture-session`);
    if (ticket.require_phone_digits && !phoneDigits) {
      askForDigits(DIGITS_WHY[ticket.phone_digits_reason] || DIGITS_WHY.shop);
      return;
    }
    capturing = true;
    // Not the last shopper's "Now smile": someone who smiles too early fails the challenge.
    promptEl.textContent = gettext("Look at the camera");
    show("camera");
    let captured;
    try {
      // The ticket's challenge: which expressions, in which order, when (server-chosen).
      captured = await SmileBurst.capture(video, ticket.challenge, {
        onPrompt: (text) => (promptEl.textContent = text),
      });
    } finally {
      capturing = false;
    }
    const { frames, times, startedAt } = captured;
    show("analysing");
    const form = new FormData();
    form.append("token", ticket.token);
    form.append("phone_digits", phoneDigits);
    form.append("timestamps", JSON.stringify(times));
    form.append("started_at", String(startedAt));
    frames.forEach((blob, index) => form.append("frame", blob, `frame-${index}.jpg`));
    let data;
    try {
      data = await api("capture", { form });
    } catch (error) {
      // Enrolment grew past what a search without digits may cover since the ticket:
      // the token was not spent, so ask and send the next smile with the digits.
      if (error.code !== "digits_required") throw error;
      askForDigits(error.message);
      return;
    }
    onServerPayment(data.payment);
  }

  document.getElementById("smile").addEventListener("click", () => guarded(() => smileToPay()));
  document.getElementById("retry").addEventListener("click", () => guarded(() => smileToPay()));
  document.getElementById("digits-go").addEventListener("click", () => {
    const digits = document.getElementById("digits").value.trim();
    if (!/^\d{4}$/.test(digits)) {
      showError(gettext("Enter exactly 4 digits."));
      return;
    }
    guarded(() => smileToPay(digits));
  });

  for (const button of app.querySelectorAll('[data-action="cancel"]')) {
    button.addEventListener("click", () =>
      guarded(async () => {
        if (!payment) return showAmount();
        const data = await api(`payments/${payment.id}/cancel`);
        render(data.payment);
      }),
    );
  }
  document.getElementById("next").addEventListener("click", () => {
    payment = null;
    showAmount();
  });

  // --- live updates -------------------------------------------------------------------
  // A server in an outage accepts, then closes with 1013 (try again later); every shop's
  // kiosks reconnecting each 1.5 s would hammer it as it comes back, so the wait doubles
  // until the server's first message (the stored state) shows the socket really works.
  const FIRST_RETRY_MS = 1500;
  const LAST_RETRY_MS = 30000;
  let retryMs = FIRST_RETRY_MS;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/kiosk/`);
    socket.addEventListener("open", () => dot.classList.add("live"));
    socket.addEventListener("message", (event) => {
      retryMs = FIRST_RETRY_MS;
      connectionLost.hidden = true;
      const message = JSON.parse(event.data);
      if (message.type === "payment") onServerPayment(message.payment);
      if (message.type === "revoked") location.reload();
    });
    socket.addEventListener("close", (event) => {
      dot.classList.remove("live");
      // Until it is back, outcomes reach this screen late: the cashier should know why.
      connectionLost.hidden = false;
      if (event.code === 4401 || event.code === 4403) return location.reload();
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
    });
  }

  showAmount();
  connect();
})();
