// Online checkout: "Confirm with my face". The server opens a capture ticket with a
// challenge of its choosing (e.g. look at the camera, then smile; or smile, relax, smile
// again, at random times); the front camera follows it (static/js/smile_burst.js), 640x480
// JPEG, and the burst goes back with the ticket's token and each frame's capture time.
// The server checks the challenge, that the face is live and not a photo, and compares
// the face with this customer's own templates only.
(() => {
  "use strict";
  const card = document.getElementById("checkout");
  const button = document.getElementById("confirm-face");
  const video = document.getElementById("video");
  const prompt = document.getElementById("prompt");
  if (!card || !button) return;
  const sleep = SmileBurst.sleep;

  // Every text the customer reads here, in one place (for the translation catalog).
  const TEXT = {
    checking: gettext("Checking…"),
    allowCamera: gettext("Allow the camera to confirm with your face."),
    failed: gettext("Something went wrong. Try again."),
    offline: gettext("No connection: check your network, then try again."),
  };

  async function post(url, form) {
    const response = await fetch(url, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRFToken": card.dataset.csrf },
    });
    return response.json();
  }

  async function capture(challenge) {
    video.hidden = false;
    try {
      return await SmileBurst.capture(video, challenge, {
        onPrompt: (text) => (prompt.textContent = text),
      });
    } finally {
      video.hidden = true;
    }
  }

  async function upload(ticket, captured) {
    const form = new FormData();
    form.append("token", ticket.token);
    form.append("timestamps", JSON.stringify(captured.times));
    form.append("started_at", String(captured.startedAt));
    captured.frames.forEach((blob, index) => form.append("frame", blob, `frame-${index}.jpg`));
    return post(card.dataset.faceUrl, form);
  }

  function showError(message) {
    prompt.textContent = message;
    card.dataset.state = "error";
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    card.dataset.state = "capturing";
    try {
      const ticket = await post(card.dataset.startUrl, new FormData());
      if (ticket.error) return showError(ticket.error.message);
      const captured = await capture(ticket.challenge);
      prompt.textContent = TEXT.checking;
      card.dataset.state = "checking";
      const data = await upload(ticket, captured);
      if (data.error) return showError(data.error.message);
      prompt.textContent = data.message || data.status;
      card.dataset.state = data.status;
      if (data.redirect) {
        await sleep(900);  // long enough to read "Payment confirmed"
        window.location.assign(data.redirect);
      } else if (data.final || data.status !== "failed") {
        window.location.reload();
      }
    } catch (err) {
      if (err && err.name === "NotAllowedError") showError(TEXT.allowCamera);
      // fetch() rejects with a TypeError when the request never reached the server.
      else if (!navigator.onLine || (err && err.name === "TypeError")) showError(TEXT.offline);
      else showError(TEXT.failed);
    } finally {
      button.disabled = false;
    }
  });
})();
