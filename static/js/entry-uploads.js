// Resumable uploads of recordings (tus 1.0 to /uploads/ with static/vendor/tus-js-client; docs/submissions.md).
// Shared by the file picker (submissions-upload.js) and the recorder (recorder.js), which load after this file:
// 5 MiB chunks, retries with back-off, a wait for the network while the browser is offline, then a resume
// from the offset the server reports. A picked file is remembered (tus-js-client's fingerprint in
// localStorage), so after a reload the same file continues where it stopped. The finished upload's URL is
// posted with the entry form (field "upload"); the server's flow goes on as for an attached file.
// In a browser that cannot (no XMLHttpRequest/Blob.slice) window.EntryUploads stays undefined and the form
// posts the file itself, as it does without JavaScript.
(function () {
  const form = document.getElementById("entry-form");
  if (!form || !form.dataset.uploadEndpoint || !window.tus || !window.tus.isSupported) return;

  const CHUNK_BYTES = 5 * 1024 * 1024; // the server takes at most 8 MiB per PATCH
  const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000];
  const WAIT_MS = 15000; // retries used up while the browser says it is online: try again after this
  const FLUSH_MS = 2000; // while recording, send what arrived at least this often…
  const FLUSH_MIN_BYTES = 64 * 1024; // …once it is worth a request
  const DAY_MS = 24 * 3600 * 1000; // the server forgets unfinished uploads after a day
  const endpoint = new URL(form.dataset.uploadEndpoint, window.location.href).href;
  const storage = window.tus.defaultOptions.urlStorage;

  function csrfToken() {
    // Double submit, as the autosave door: the endpoint compares this header with the csrftoken cookie.
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function statusOf(error) {
    return error && error.originalResponse ? error.originalResponse.getStatus() : 0;
  }

  function retryable(error) {
    // A request that never got an answer (the network), a lost race on the offset (409) or the lease (423),
    // a silent connection (408) or a server error: resume from the server's offset. Any other 4xx is final.
    if (!error || !error.originalRequest) return false; // not a request's failure (the source, the options)
    const status = statusOf(error);
    return status === 0 || status === 408 || status === 409 || status === 423 || status >= 500;
  }

  function serverMessage(error) {
    // The endpoint answers refusals with a sentence in the reader's language (text/plain).
    const response = error && error.originalResponse;
    if (!response) return "";
    const type = response.getHeader("Content-Type") || "";
    const body = (response.getBody() || "").trim();
    return type.startsWith("text/plain") && body.length < 500 ? body : "";
  }

  function endpointMissing(error) {
    // Creation answered "no such resource" (a server without the endpoint, e.g. a plain WSGI one): the
    // form then posts the file itself.
    const request = error && error.originalRequest;
    return Boolean(request && request.getMethod() === "POST" && [404, 405, 501].includes(statusOf(error)));
  }

  function metadata(filename) {
    const pairs = { filename: filename, round: form.dataset.round };
    if (form.dataset.entry) pairs.entry = form.dataset.entry; // replacing this entry's recording
    return pairs;
  }

  // One upload. state: "uploading", "resuming", "offline", "done", "failed" or "aborted"; sent and total
  // in bytes (total null while a recording goes on); resumes counts the times it continued after a failure;
  // unavailable: failed because the server has no endpoint. finished resolves to the upload's URL, or rejects
  // with the message to show.
  class Transfer {
    constructor(input, { filename, fingerprint, fileReader, deferred }) {
      this.state = "uploading";
      this.sent = 0;
      this.total = deferred ? null : input.size;
      this.resumes = 0;
      this.error = "";
      this.unavailable = false;
      this.url = null;
      this.fingerprint = fingerprint || null;
      this.listeners = [];
      this.finished = new Promise((resolve, reject) => { this._resolve = resolve; this._reject = reject; });
      this.finished.catch(() => {}); // the failure also shows through the state
      this._online = () => this.resume();
      const options = {
        endpoint: endpoint,
        chunkSize: CHUNK_BYTES,
        retryDelays: RETRY_DELAYS,
        metadata: metadata(filename),
        // The CSRF token is read for every request, not once: it rotates when the person signs in again.
        onBeforeRequest: (req) => { req.setHeader("X-CSRFToken", csrfToken()); },
        uploadLengthDeferred: Boolean(deferred),
        storeFingerprintForResuming: Boolean(fingerprint),
        removeFingerprintOnSuccess: false, // kept until the entry form is accepted: see forget()
        fingerprint: () => Promise.resolve(this.fingerprint),
        onShouldRetry: (error) => {
          if (!retryable(error) || navigator.onLine === false) return false;
          this.resumes += 1;
          this._set("resuming");
          return true;
        },
        onProgress: (sent, total) => {
          this.sent = sent;
          if (total) this.total = total;
          this._emit();
        },
        onChunkComplete: () => { if (this.state === "resuming") this._set("uploading"); },
        onSuccess: () => {
          this.url = this.upload.url;
          this._set("done");
          this._resolve(this.url);
        },
        onError: (error) => this._failed(error),
      };
      if (fileReader) options.fileReader = fileReader; // only when given: an undefined one would replace the default
      this.upload = new window.tus.Upload(input, options);
    }

    watch(listener) { this.listeners.push(listener); listener(this); }

    start() {
      if (!this.fingerprint) { this.upload.start(); return this; }
      // The same file, picked again after a reload or a failed send: continue the upload the server has.
      this.upload.findPreviousUploads().then((previous) => {
        const fresh = previous.filter((upload) => Date.now() - Date.parse(upload.creationTime) < DAY_MS);
        if (fresh.length) {
          this.upload.resumeFromPreviousUpload(fresh[fresh.length - 1]);
          this.resumes += 1;
          this._set("resuming");
        }
        this.upload.start();
      }, () => this.upload.start());
      return this;
    }

    resume() {
      window.removeEventListener("online", this._online);
      clearTimeout(this._timer);
      if (this.state !== "offline") return;
      this.resumes += 1;
      this._set("resuming");
      this.upload.start(); // asks the server for its offset (HEAD), then sends the rest
    }

    abort(terminate) {
      // terminate: also DELETE it on the server (a recording thrown away); else it can still be resumed.
      window.removeEventListener("online", this._online);
      clearTimeout(this._timer);
      this._set("aborted");
      this._reject(new Error(""));
      if (this.fingerprint && terminate) forget(this.fingerprint);
      return this.upload.abort(Boolean(terminate)).catch(() => {});
    }

    _failed(error) {
      if (this.state === "aborted") return;
      if (retryable(error)) { // the connection: wait for it, then continue from the server's offset
        this._set("offline");
        window.addEventListener("online", this._online);
        if (navigator.onLine !== false) this._timer = setTimeout(this._online, WAIT_MS);
        return;
      }
      this.unavailable = endpointMissing(error);
      this.error = serverMessage(error) || form.dataset.msgFailed;
      this._set("failed");
      this._reject(new Error(this.error));
    }

    _set(state) { this.state = state; this._emit(); }
    _emit() { this.listeners.forEach((listener) => listener(this)); }
  }

  function forget(fingerprint) {
    // The entry took the upload (the server consumed it): nothing to resume any more.
    return storage.findUploadsByFingerprint(fingerprint)
      .then((uploads) => Promise.all(uploads.map((upload) => storage.removeUpload(upload.urlStorageKey))))
      .catch(() => {});
  }

  function fileFingerprint(file) {
    // Same person's browser, same round (and entry), same file: the same upload.
    const place = [form.dataset.round, form.dataset.entry || "new"].join(".");
    return ["entry-upload", place, file.name, file.type, file.size, file.lastModified, endpoint].join("|");
  }

  // What the recorder has produced so far, read by tus-js-client as a stream whose length is known at the
  // end (Upload-Defer-Length). A PATCH takes a full chunk when there is one, what arrived in the last
  // FLUSH_MS once it is worth a request, or the rest when the recording ended: at the stop only the last
  // seconds remain to send. The blobs are the recorder's own (kept for playback); slicing them copies nothing.
  class RecordingSource {
    constructor() { this.parts = []; this.bytes = 0; this.ended = false; this.closed = false; }
    push(blob) { this.parts.push(blob); this.bytes += blob.size; }
    end() { this.ended = true; }
    close() { this.closed = true; }
    slice(start, end) {
      const asked = Date.now();
      return new Promise((resolve) => {
        const check = () => {
          if (this.closed) return;
          const available = Math.min(this.bytes, end);
          const worth = available - start >= FLUSH_MIN_BYTES && Date.now() - asked >= FLUSH_MS;
          if (this.bytes >= end || this.ended || worth) {
            resolve({ value: new Blob(this.parts).slice(start, available), done: this.ended && end >= this.bytes });
          } else {
            setTimeout(check, 200);
          }
        };
        check();
      });
    }
  }

  function interrupted() {
    // Uploads of this form that a reload (or a closed tab) left unfinished, most recent first.
    return storage.findAllUploads().then((uploads) => uploads
      .filter((upload) => upload.metadata && upload.metadata.round === form.dataset.round
        && (upload.metadata.entry || "") === (form.dataset.entry || "")
        && Date.now() - Date.parse(upload.creationTime) < DAY_MS)
      .sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime)), () => []);
  }

  window.EntryUploads = {
    // A picked or dropped file, resumable across reloads.
    sendFile(file) { return new Transfer(file, { filename: file.name, fingerprint: fileFingerprint(file) }).start(); },
    // A recording in progress: push its blobs to the source as they come, end() it at the stop.
    sendRecording(source, filename) {
      return new Transfer(source, {
        filename: filename,
        deferred: true,
        fileReader: { openFile: () => Promise.resolve(source) },
      }).start();
    },
    RecordingSource: RecordingSource,
    forget: forget,
    interrupted: interrupted,
  };
})();
