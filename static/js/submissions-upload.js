// Sending an entry: the recording made in the page or a chosen/dropped file, posted with XMLHttpRequest so
// that a progress bar shows the upload. The server answers JSON ({ok, redirect} or {ok: false, errors}).
// Without JavaScript the same form posts normally.
(function () {
  const form = document.getElementById("entry-form");
  if (!form) return;
  const input = form.querySelector("input[type=file][name=recording]");
  const zone = document.getElementById("drop-zone");
  const chosen = document.getElementById("chosen-file");
  const progress = document.getElementById("upload-progress");
  const errors = document.getElementById("form-errors");
  const button = document.getElementById("send-entry");
  const source = form.querySelector("input[name=source]");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const maxBytes = Number(form.dataset.maxBytes);
  let recording = null;

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }
  function showErrors(messages) {
    errors.replaceChildren(...messages.map((text) => { const p = document.createElement("p"); p.textContent = text; return p; }));
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

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = recording ? recording.blob : (input && input.files[0]);
    if (file && file.size > maxBytes) { showErrors([form.dataset.msgTooBig]); return; }
    const data = new FormData(form);
    if (recording) data.set("recording", recording.blob, recording.filename);
    showErrors([]);
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-CSRFToken", csrf);
    request.upload.addEventListener("progress", (progressEvent) => {
      if (!progressEvent.lengthComputable) return;
      progress.hidden = false;
      progress.value = Math.round((progressEvent.loaded / progressEvent.total) * 100);
    });
    request.addEventListener("load", () => {
      let reply = {};
      try { reply = JSON.parse(request.responseText); } catch (error) { reply = {}; }
      if (reply.ok) { window.location.assign(reply.redirect); return; }
      const messages = Object.values(reply.errors || {}).flat();
      showErrors(messages.length ? messages : [form.dataset.msgFailed]);
      button.disabled = false;
      button.removeAttribute("aria-busy");
      progress.hidden = true;
    });
    request.addEventListener("error", () => {
      showErrors([form.dataset.msgFailed]);
      button.disabled = false;
      button.removeAttribute("aria-busy");
      progress.hidden = true;
    });
    request.send(data);
  });
})();
