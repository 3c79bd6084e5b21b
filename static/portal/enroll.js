// Webcam enrollment: live preview, server-side guidance, N captures, a final self-check.
// Frames are sent to the server as JPEG, analysed in memory and thrown away.
// The root element's data-state tells where we are (tests read it):
// starting, guiding, self-check, done, refused, error.
(function () {
  "use strict";
  var root = document.getElementById("enroll");
  if (!root) return;
  var video = document.getElementById("enroll-video");
  var guidance = document.getElementById("enroll-guidance");
  var result = document.getElementById("enroll-result");
  var boxEl = document.getElementById("enroll-box");
  var restart = document.getElementById("enroll-start");
  var needed = parseInt(root.getAttribute("data-needed"), 10) || 3;
  var urls = {
    start: root.getAttribute("data-start-url"),
    check: root.getAttribute("data-check-url"),
    capture: root.getAttribute("data-capture-url"),
    selfCheck: root.getAttribute("data-self-check-url"),
    done: root.getAttribute("data-done-url"),
    signIn: root.getAttribute("data-sign-in-url"),
  };
  var canvas = document.createElement("canvas");
  var stream = null;
  var accepted = 0;
  var goodStreak = 0;
  var selfCheckTries = 0;
  var stopped = false;

  function setState(s) { root.setAttribute("data-state", s); }
  function say(text) { guidance.textContent = text; }
  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return input ? input.value : (m ? decodeURIComponent(m[1]) : "");
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function grab() {
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return Promise.resolve(null);
    var scale = Math.min(1, 640 / w);
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.92); });
  }

  function send(url, blob) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "image/jpeg", "X-CSRFToken": csrf() },
      body: blob,
    }).then(function (response) {
      if (response.status === 401) signInAgain();
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  // The session ended (signed out elsewhere, expired): every picture would be refused,
  // so stop and go to the sign-in page, which brings the customer back here.
  function signInAgain() {
    if (stopped) return;
    finish("error", gettext("You were signed out. Sign in again to enroll your face."));
    location.assign(urls.signIn);
  }

  function drawBox(box, ok) {
    if (!box) { boxEl.hidden = true; return; }
    // The preview is mirrored, so the box is too.
    boxEl.hidden = false;
    boxEl.style.top = (box[0] * 100) + "%";
    boxEl.style.height = ((box[2] - box[0]) * 100) + "%";
    boxEl.style.left = ((1 - box[1]) * 100) + "%";
    boxEl.style.width = ((box[1] - box[3]) * 100) + "%";
    boxEl.className = "face-box" + (ok ? "" : " bad");
  }

  function markStep(step) {
    var li = root.querySelector('[data-step="' + step + '"]');
    if (li) li.classList.add("done");
  }

  function finish(state, message, canRetry) {
    stopped = true;
    setState(state);
    if (state !== "done") say("");  // not a "Hold still…" left above the outcome
    result.textContent = message;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    // A refusal that another try would only repeat (this face is another account's)
    // offers no "Try again": the message says whom to write to instead.
    if (state !== "done" && canRetry !== false) restart.hidden = false;
  }

  function refused(data) {
    var code = data.error || "error";
    if (code === "duplicate") {
      finish("refused", data.message || gettext("We can't enroll this face. Please contact support."), false);
      return true;
    }
    if (code === "consent_required" || code === "phone_not_verified" || code === "different_person") {
      finish("refused", data.message || gettext("Please start again."));
      return true;
    }
    return false;
  }

  async function loop() {
    while (!stopped) {
      var blob = await grab();
      if (!blob) { await sleep(200); continue; }
      try {
        if (accepted < needed) {
          await step(blob);
        } else {
          await selfCheck(blob);
        }
      } catch (err) {
        say(gettext("Connection problem — retrying…"));
        await sleep(1500);
      }
      await sleep(accepted < needed ? 350 : 600);
    }
  }

  async function step(blob) {
    var r = await send(urls.check, blob);
    if (r.status === 429) { await sleep(2000); return; }
    if (r.status !== 200) { if (!refused(r.data)) say(r.data.message || gettext("Try again")); return; }
    var check = r.data;
    drawBox(check.box, check.ok);
    if (!check.ok) { goodStreak = 0; say(check.messages[0] || gettext("Look straight at the camera")); return; }
    goodStreak += 1;
    if (goodStreak < 2) { say(gettext("Hold still…")); return; }
    var c = await send(urls.capture, blob);
    if (c.status === 200) {
      accepted = c.data.accepted;
      goodStreak = 0;
      markStep(accepted);
      say(accepted < needed
        ? interpolate(gettext("Got it — %(done)s of %(needed)s. Keep looking at the camera."), { done: accepted, needed: needed }, true)
        : gettext("Got them all. Final check: look at the camera."));
      await sleep(500);
    } else if (!refused(c.data)) {
      goodStreak = 0;
      say((c.data.guidance && c.data.guidance[0]) || c.data.message || gettext("Try again"));
    }
  }

  async function selfCheck(blob) {
    setState("self-check");
    var r = await send(urls.selfCheck, blob);
    if (r.status === 200 && r.data.matched) {
      markStep("check");
      drawBox(null);
      say(gettext("Face pay is on."));
      finish("done", gettext("All set: you can now pay with a smile."));
      setTimeout(function () { window.location.assign(urls.done); }, 2500);
      return;
    }
    if (r.status !== 200 && refused(r.data)) return;
    selfCheckTries += 1;
    var check = r.data.check || {};
    if (selfCheckTries >= 5) {
      finish("error", gettext("The final check didn't match. Please try again in better light."));
      return;
    }
    say((check.messages && check.messages[0]) || gettext("Look straight at the camera for the final check."));
  }

  restart.addEventListener("click", function () { window.location.reload(); });

  setState("starting");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    finish("error", gettext("This browser cannot use a camera here. Use a recent browser over https."));
    return;
  }
  navigator.mediaDevices.getUserMedia({
    video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
    audio: false,
  }).then(function (s) {
    stream = s;
    video.srcObject = s;
    return video.play();
  }).then(function () {
    // A fresh start on the server: captures left from an earlier visit are forgotten.
    return send(urls.start, null).then(function (r) {
      if (r.status !== 200) {
        if (!refused(r.data)) finish("error", r.data.message || gettext("Please start again."));
        return;
      }
      setState("guiding");
      say(gettext("Look straight at the camera"));
      loop();
    }, function () {
      finish("error", gettext("Connection problem — please try again."));
    });
  }, function () {
    finish("error", gettext("We need your camera to enroll. Allow it in the browser and try again."));
  });
})();
