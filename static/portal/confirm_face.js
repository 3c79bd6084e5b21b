// Online checkout: "Confirm with my face". Front camera, "look at the camera" (4 frames)
// then "now smile" (4 frames), 250 ms apart, 640x480 JPEG, as the kiosk does; the server
// checks liveness and compares the face with this customer's own templates only.
(() => {
  "use strict";
  const card = document.getElementById("checkout");
  const button = document.getElementById("confirm-face");
  const video = document.getElementById("video");
  const prompt = document.getElementById("prompt");
  if (!card || !button) return;
  const NEUTRAL = Number(card.dataset.neutralFrames);
  const SMILE = Number(card.dataset.smileFrames);
  const GAP_MS = Number(card.dataset.gapMs);
  const sleep = SmileBurst.sleep;

  async function capture() {
    video.hidden = false;
    try {
      const { frames } = await SmileBurst.capture(video, {
        neutral: NEUTRAL,
        smile: SMILE,
        gapMs: GAP_MS,
        onPrompt: (text) => (prompt.textContent = text),
      });
      return frames;
    } finally {
      video.hidden = true;
    }
  }

  async function upload(frames) {
    const form = new FormData();
    frames.forEach((blob, index) => form.append("frame", blob, `frame-${index}.jpg`));
    const response = await fetch(card.dataset.faceUrl, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRFToken": card.dataset.csrf },
    });
    return response.json();
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    card.dataset.state = "capturing";
    try {
      const frames = await capture();
      prompt.textContent = gettext("Checking…");
      card.dataset.state = "checking";
      const data = await upload(frames);
      if (data.error) {
        prompt.textContent = data.error.message;
        card.dataset.state = "error";
        return;
      }
      prompt.textContent = data.message || data.status;
      card.dataset.state = data.status;
      if (data.redirect) {
        await sleep(900);  // long enough to read "Payment confirmed"
        window.location.assign(data.redirect);
      } else if (data.final || data.status !== "failed") {
        window.location.reload();
      }
    } catch (err) {
      prompt.textContent = err && err.name === "NotAllowedError"
        ? gettext("Allow the camera to confirm with your face.")
        : gettext("Something went wrong. Try again.");
      card.dataset.state = "error";
    } finally {
      button.disabled = false;
    }
  });
})();
