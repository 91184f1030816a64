// Recording in the browser (MediaRecorder): audio, or video with the camera; a sound-level meter, a timer
// that stops at the round's maximum duration, playback before sending, and re-recording. The finished
// recording is handed to the entry form (submissions-upload.js) with a "recording:ready" event; the server
// checks it like any uploaded file. Where resumable uploads work (entry-uploads.js) the recording is sent
// WHILE it is made: each second's data goes to a tus upload of deferred length, so that at the stop only the
// last seconds remain to send; recording again deletes that upload. Without MediaRecorder the recorder stays
// hidden and the file input remains.
(function () {
  const box = document.getElementById("recorder");
  const form = document.getElementById("entry-form");
  if (!box || !form) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.MediaRecorder) return;
  box.hidden = false;

  const minSeconds = Number(box.dataset.minSeconds);
  const maxSeconds = Number(box.dataset.maxSeconds);
  const $ = (id) => document.getElementById(id);
  const buttons = { audio: $("record-audio"), video: $("record-video"), stop: $("stop-recording"), again: $("rerecord") };
  const preview = $("rec-preview"), meters = $("rec-meters"), timer = $("rec-timer"), level = $("rec-level");
  const message = $("rec-message"), playAudio = $("rec-playback-audio"), playVideo = $("rec-playback-video");
  const sent = $("rec-sent"), sentAmount = $("rec-sent-amount");
  const TYPES = {
    audio: ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"],
    video: ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/mp4", "video/webm"],
  };
  let stream = null, recorder = null, chunks = [], startedAt = 0, elapsed = 0, ticker = null, audioContext = null;
  let kind = "audio", playbackUrl = null, stopReason = "";
  let source = null, transfer = null; // the upload made while recording (entry-uploads.js), if any

  function say(key) { message.textContent = box.dataset[key] || ""; }
  function show(element, visible) { if (element) element.hidden = !visible; }
  function clock(seconds) { const s = Math.floor(seconds); return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); }
  function pickType(wanted) { return TYPES[wanted].find((type) => MediaRecorder.isTypeSupported(type)) || ""; }
  function extension(type) { return type.includes("mp4") ? "mp4" : type.includes("ogg") ? "ogg" : "webm"; }

  function discardUpload() {
    // A recording thrown away: stop sending it and delete what the server has (tus termination).
    if (transfer) transfer.abort(true);
    if (source) source.close();
    transfer = null;
    source = null;
    show(sent, false);
  }

  function clearPlayback() {
    discardUpload();
    if (playbackUrl) URL.revokeObjectURL(playbackUrl);
    playbackUrl = null;
    [playAudio, playVideo].forEach((player) => { player.removeAttribute("src"); show(player, false); });
    form.dispatchEvent(new CustomEvent("recording:cleared"));
  }

  function watchLevel() {
    // Root mean square of the microphone signal, refreshed each frame: people see that they are heard.
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audioContext = new Context();
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 2048;
    audioContext.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    (function draw() {
      if (!recorder || recorder.state !== "recording") { level.value = 0; return; }
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const value of samples) sum += value * value;
      level.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      requestAnimationFrame(draw);
    })();
  }

  function tick() {
    elapsed = (performance.now() - startedAt) / 1000;
    timer.textContent = clock(elapsed);
    if (elapsed >= maxSeconds) stop("limit");
  }

  async function start(wanted) {
    clearPlayback();
    kind = wanted;
    const constraints = { audio: { echoCancellation: true, noiseSuppression: true } };
    if (kind === "video") constraints.video = { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: "user" };
    try {
      stream = await navigator.mediaDevices.getUserMedia(constraints);
    } catch (error) {
      say("msgDenied");
      return;
    }
    const mimeType = pickType(kind);
    recorder = new MediaRecorder(stream, mimeType ? { mimeType: mimeType } : undefined);
    chunks = [];
    stopReason = "";
    if (window.EntryUploads) {
      source = new window.EntryUploads.RecordingSource();
      transfer = window.EntryUploads.sendRecording(source, "recording." + extension(recorder.mimeType || mimeType));
      transfer.watch((upload) => {
        sentAmount.textContent = (upload.sent / 1048576).toFixed(1) + " MB";
        show(sent, upload.sent > 0);
      });
    }
    recorder.addEventListener("dataavailable", (event) => {
      if (!event.data.size) return;
      chunks.push(event.data);
      if (source) source.push(event.data);
    });
    recorder.addEventListener("stop", finish);
    recorder.start(1000); // a chunk each second: a long recording never waits in one buffer
    startedAt = performance.now();
    ticker = setInterval(tick, 250);
    if (kind === "video") { preview.srcObject = stream; show(preview, true); preview.play().catch(() => {}); }
    show(meters, true);
    watchLevel();
    say("msgRecording");
    show(buttons.audio, false); show(buttons.video, false); show(buttons.again, false); show(buttons.stop, true);
    buttons.stop.focus();
  }

  function stop(reason) {
    if (!recorder || recorder.state === "inactive") return;
    stopReason = reason || "";
    clearInterval(ticker);
    recorder.stop();
  }

  function finish() {
    stream.getTracks().forEach((track) => track.stop());
    if (audioContext) audioContext.close();
    preview.srcObject = null;
    show(preview, false); show(buttons.stop, false); show(buttons.again, true);
    show(buttons.audio, false); show(buttons.video, false);
    const blob = new Blob(chunks, { type: recorder.mimeType || pickType(kind) });
    recorder = null;
    playbackUrl = URL.createObjectURL(blob);
    const player = kind === "video" ? playVideo : playAudio;
    player.src = playbackUrl;
    show(player, true);
    if (source) source.end(); // the upload learns its length and sends the rest
    if (elapsed < minSeconds) { discardUpload(); say("msgTooShort"); return; }
    say(stopReason === "limit" ? "msgLimit" : transfer ? "msgReadySent" : "msgReady");
    const filename = "recording." + extension(blob.type);
    const detail = { blob: blob, filename: filename, seconds: elapsed, transfer: transfer };
    form.dispatchEvent(new CustomEvent("recording:ready", { detail: detail }));
  }

  function reset() {
    clearPlayback();
    timer.textContent = clock(0);
    show(meters, false); show(buttons.again, false);
    show(buttons.audio, true); show(buttons.video, true);
    message.textContent = "";
  }

  if (buttons.audio) buttons.audio.addEventListener("click", () => start("audio"));
  if (buttons.video) buttons.video.addEventListener("click", () => start("video"));
  buttons.stop.addEventListener("click", () => stop("button"));
  buttons.again.addEventListener("click", reset);
})();
