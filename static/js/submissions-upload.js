// Sending an entry: the recording made in the page or a chosen/dropped file. Where resumable uploads work
// (entry-uploads.js: tus in 5 MiB chunks, retries, resume after a lost connection or a reload) the file goes
// there first, with its progress, "offline" and "resuming" shown; the form is then posted with the field
// "upload" = the upload's URL. Otherwise the file is posted with the form by XMLHttpRequest, so that a
// progress bar shows. The server answers JSON ({ok, redirect} or {ok: false, errors}).
// Without JavaScript the same form posts normally.
(function () {
  const form = document.getElementById("entry-form");
  if (!form) return;
  const input = form.querySelector("input[type=file][name=recording]");
  const zone = document.getElementById("drop-zone");
  const chosen = document.getElementById("chosen-file");
  const progress = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const stateText = document.getElementById("upload-state");
  const amount = document.getElementById("upload-amount");
  const errors = document.getElementById("form-errors");
  const button = document.getElementById("send-entry");
  const source = form.querySelector("input[name=source]");
  const uploadField = form.querySelector("input[name=upload]");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const maxBytes = Number(form.dataset.maxBytes);
  const uploads = uploadField ? window.EntryUploads : undefined; // the consent-only form sends no file
  const STATE_TEXT = { uploading: "msgSending", resuming: "msgResuming", offline: "msgOffline", done: "msgSaving" };
  let recording = null;
  const watched = new WeakSet(); // transfers whose progress this form already shows
  let sentFile = null; // { file, transfer }: the picked file's upload, reused if the form is sent again

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }
  function showErrors(messages) {
    errors.replaceChildren(...messages.map((text) => { const p = document.createElement("p"); p.textContent = text; return p; }));
  }
  function busy(on) {
    button.disabled = on;
    if (on) button.setAttribute("aria-busy", "true"); else button.removeAttribute("aria-busy");
    if (!on) { progress.hidden = true; status.hidden = true; }
  }

  function showTransfer(transfer) {
    // Progress bar with percent and megabytes, and the state in words (data-state for tests and styles).
    if (transfer.state === "aborted" || transfer.state === "failed") return;
    status.hidden = false;
    status.dataset.state = transfer.state;
    status.dataset.resumes = String(transfer.resumes);
    stateText.textContent = form.dataset[STATE_TEXT[transfer.state]] || "";
    if (transfer.total) {
      const percent = Math.floor((transfer.sent / transfer.total) * 100);
      progress.hidden = false;
      progress.value = percent;
      amount.textContent = percent + "% · " + megabytes(transfer.sent) + " / " + megabytes(transfer.total);
    } else {
      amount.textContent = megabytes(transfer.sent);
    }
  }

  form.addEventListener("recording:ready", (event) => {
    recording = event.detail;
    if (input) input.value = "";
    if (chosen) chosen.textContent = "";
    if (source) source.value = "recorded";
  });
  form.addEventListener("recording:cleared", () => { recording = null; });

  if (input) {
    input.addEventListener("change", () => {
      recording = null;
      if (source) source.value = "uploaded";
      const file = input.files[0];
      chosen.textContent = file ? file.name + " · " + megabytes(file.size) : "";
    });
  }
  if (zone && input) {
    ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    }));
    ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, () => zone.classList.remove("dragging")));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change"));
    });
  }
  if (uploads && chosen) {
    // A reload (or a closed tab) interrupted an upload of this form: say how to continue it.
    uploads.interrupted().then((found) => {
      if (!found.length || chosen.textContent) return;
      chosen.textContent = form.dataset.msgInterrupted.replace("{name}", found[0].metadata.filename);
    });
  }

  function post(data, onDone) {
    // The form itself, answered in JSON; its own progress shows only when it carries the file.
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-CSRFToken", csrf);
    if (data.get("recording") instanceof Blob && data.get("recording").size) {
      request.upload.addEventListener("progress", (progressEvent) => {
        if (!progressEvent.lengthComputable) return;
        progress.hidden = false;
        progress.value = Math.round((progressEvent.loaded / progressEvent.total) * 100);
      });
    }
    request.addEventListener("load", () => {
      let reply = {};
      try { reply = JSON.parse(request.responseText); } catch (error) { reply = {}; }
      if (reply.ok) {
        if (onDone) onDone();
        window.location.assign(reply.redirect);
        return;
      }
      const messages = Object.values(reply.errors || {}).flat();
      showErrors(messages.length ? messages : [form.dataset.msgFailed]);
      busy(false);
    });
    request.addEventListener("error", () => {
      showErrors([form.dataset.msgFailed]);
      busy(false);
    });
    request.send(data);
  }

  function sendResumable(transfer, data) {
    // The upload first (its own progress and states), then the form with upload=<its URL>.
    if (watched.has(transfer)) showTransfer(transfer); else { watched.add(transfer); transfer.watch(showTransfer); }
    transfer.finished.then((url) => {
      data.delete("recording");
      data.set("upload", url);
      post(data, () => { if (transfer.fingerprint) uploads.forget(transfer.fingerprint); });
    }, (error) => {
      if (transfer.state !== "failed") return; // aborted: a new recording or file replaces it
      if (sentFile && sentFile.transfer === transfer) sentFile = null;
      if (transfer.unavailable) { postWithFile(data); return; }
      showErrors([error.message || form.dataset.msgFailed]);
      busy(false);
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = recording ? recording.blob : (input && input.files[0]);
    if (file && file.size > maxBytes) { showErrors([form.dataset.msgTooBig]); return; }
    const data = new FormData(form);
    showErrors([]);
    busy(true);
    const live = recording && recording.transfer;
    if (uploads && live && !(live.state === "failed" && live.unavailable)) {
      data.delete("recording");
      sendResumable(recording.transfer, data);
      return;
    }
    if (uploads && file && !recording) {
      if (!sentFile || sentFile.file !== file) {
        if (sentFile && sentFile.transfer.state !== "done") sentFile.transfer.abort(false);
        sentFile = { file: file, transfer: uploads.sendFile(file) };
      }
      sendResumable(sentFile.transfer, data);
      return;
    }
    postWithFile(data);
  });

  function postWithFile(data) {
    // The plain way: the file is a part of the form (no resumable endpoint, or nothing to send first).
    progress.hidden = true;
    status.hidden = true;
    if (recording) data.set("recording", recording.blob, recording.filename);
    post(data);
  }
})();
