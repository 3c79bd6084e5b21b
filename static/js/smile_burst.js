// The smile challenge's capture, shared by the kiosk and the phone's online checkout.
// The server's capture ticket carries the challenge: its steps ("neutral" or "smile"),
// when each prompt appears and when each frame is taken (ms from the first prompt). This
// follows it to the millisecond it can, 640x480 JPEG frames, and reports each frame's
// capture time; the server checks them against the ticket.
window.SmileBurst = (() => {
  "use strict";
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // Every text the customer reads, in one place (for the translation catalog).
  const PROMPTS = {
    firstNeutral: gettext("Look at the camera"),
    firstSmile: gettext("Look at the camera and smile 😊"),
    smile: gettext("Now smile 😊"),
    relax: gettext("Relax, no smile"),
  };

  // Used only if a ticket carries no challenge: neutral, then smile.
  const DEFAULT_CHALLENGE = {
    gap_ms: 250,
    steps: [
      { expression: "neutral", prompt_at_ms: 0, first_frame_ms: 800, frames: 4 },
      { expression: "smile", prompt_at_ms: 1850, first_frame_ms: 2450, frames: 4 },
    ],
  };

  function promptFor(step, index) {
    if (index === 0) return step.expression === "smile" ? PROMPTS.firstSmile : PROMPTS.firstNeutral;
    return step.expression === "smile" ? PROMPTS.smile : PROMPTS.relax;
  }

  // What a person can do about a camera that would not start, by getUserMedia's error.
  const NOT_ALLOWED = gettext("The camera is not allowed. Allow it for this page in the browser, then try again.");
  const NOT_FOUND = gettext("No camera was found. Connect one, then try again.");
  const BUSY = gettext("The camera is busy or not working. Close other apps that use it, then try again.");
  const CAMERA_PROBLEMS = {
    NotAllowedError: NOT_ALLOWED,
    SecurityError: NOT_ALLOWED,
    NotFoundError: NOT_FOUND,
    OverconstrainedError: NOT_FOUND,
    NotReadableError: BUSY,
    AbortError: BUSY,
  };

  // An Error whose message a person can read (the browser's own is English and terse);
  // its name stays the browser's, for a page that handles one case itself.
  function cameraError(name, message) {
    const error = new Error(message);
    error.name = name;
    return error;
  }

  async function openCamera(video) {
    if (!navigator.mediaDevices?.getUserMedia) {
      throw cameraError("NotSupportedError", gettext("This browser cannot use a camera here. Use a recent browser over https."));
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
        audio: false,
      });
    } catch (error) {
      throw cameraError(error.name, CAMERA_PROBLEMS[error.name] || gettext("The camera could not be started. Try again."));
    }
    video.srcObject = stream;
    await video.play();
    while (video.videoWidth === 0) await sleep(50);
    return stream;
  }

  // The picture is taken when this is called; only the JPEG encoding is asynchronous.
  function grabFrame(video) {
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 480;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.88));
  }

  // Returns {frames: Blob[], times: ms from the first prompt, startedAt: epoch ms of the
  // first prompt}; the camera is released whatever happens.
  async function capture(video, challenge, { onPrompt = () => {} } = {}) {
    const plan = challenge && challenge.steps ? challenge : DEFAULT_CHALLENGE;
    const pending = [];
    const times = [];
    let stream;
    let startedAt;
    try {
      stream = await openCamera(video);
      startedAt = Date.now();
      const started = performance.now();
      const until = (ms) => sleep(Math.max(0, started + ms - performance.now()));
      for (const [index, step] of plan.steps.entries()) {
        await until(step.prompt_at_ms);
        onPrompt(promptFor(step, index), step.expression);
        for (let k = 0; k < step.frames; k += 1) {
          await until(step.first_frame_ms + k * plan.gap_ms);
          times.push(Math.round(performance.now() - started));
          pending.push(grabFrame(video));
        }
      }
    } finally {
      stream?.getTracks().forEach((track) => track.stop());
    }
    return { frames: await Promise.all(pending), times, startedAt };
  }

  return { capture, sleep, PROMPTS };
})();
