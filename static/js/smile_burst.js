// The smile challenge's capture, shared by the kiosk and the phone's online checkout:
// "Look at the camera" (neutral frames), then "Now smile", a frame every gapMs, each a
// 640x480 JPEG. The server's liveness check expects exactly this rhythm.
window.SmileBurst = (() => {
  "use strict";
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function openCamera(video) {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
      audio: false,
    });
    video.srcObject = stream;
    await video.play();
    while (video.videoWidth === 0) await sleep(50);
    return stream;
  }

  function grabFrame(video) {
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 480;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.88));
  }

  // Returns {frames: Blob[], stamps: ms since the first prompt}; the camera is released
  // whatever happens.
  async function capture(video, { neutral = 4, smile = 4, gapMs = 250, onPrompt = () => {} } = {}) {
    const frames = [];
    const stamps = [];
    let stream;
    try {
      stream = await openCamera(video);
      const started = performance.now();
      const take = async (count) => {
        for (let i = 0; i < count; i += 1) {
          frames.push(await grabFrame(video));
          stamps.push(Math.round(performance.now() - started));
          await sleep(gapMs);
        }
      };
      onPrompt(gettext("Look at the camera"));
      await sleep(800);
      await take(neutral);
      onPrompt(gettext("Now smile 😊"));
      await sleep(500);
      await take(smile);
    } finally {
      stream?.getTracks().forEach((track) => track.stop());
    }
    return { frames, stamps };
  }

  return { capture, sleep };
})();
