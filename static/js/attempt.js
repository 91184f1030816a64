// Quiz attempt: countdown to the server's deadline, autosave of each answer as it is given, and
// submission at zero. Without JavaScript the form still works: the submit button posts every answer.
//
// Weak networks: an answer the server has not acknowledged yet is kept in localStorage (keyed by attempt)
// and resent with back-off, when the network comes back (`online`) and after a reload, which also puts it
// back on the page. Each question says "saved" / "saving…" / "offline, will resend" (texts from the
// template's data attributes).
(function () {
  const form = document.getElementById("attempt-form");
  if (!form) return;
  const answerUrl = form.dataset.answerUrl;
  const status = document.getElementById("save-status");
  const countdown = document.getElementById("countdown");
  // The CSRF cookie's value (double submit): the autosave endpoint compares header and cookie.
  const cookieToken = (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1];
  const csrf = cookieToken || form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const pending = new Map(); // position -> response not yet acknowledged
  let closed = false;
  let retryDelay = 1000;
  let retryTimer = null;
  let flushing = false;
  let flushAgain = false;
  let storeWorks = true;

  // --- Answers kept on the device until the server has them ------------------------------------
  const STORE_PREFIX = "attempt-pending:";
  const storeKey = STORE_PREFIX + form.dataset.attempt;
  const STORE_MAX_AGE_MS = 2 * 24 * 3600 * 1000;

  function storeRead(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (error) { return null; }
  }
  function storeWrite() {
    try {
      if (pending.size === 0) { window.localStorage.removeItem(storeKey); return; }
      window.localStorage.setItem(storeKey, JSON.stringify({ at: Date.now(), answers: Object.fromEntries(pending) }));
    } catch (error) { storeWorks = false; /* private mode or full: resent only while the page stays open */ }
  }
  function storeForgetOld() {
    try {
      for (let i = window.localStorage.length - 1; i >= 0; i--) {
        const key = window.localStorage.key(i);
        if (!key || !key.startsWith(STORE_PREFIX) || key === storeKey) continue;
        const kept = storeRead(key);
        if (!kept || Date.now() - (kept.at || 0) > STORE_MAX_AGE_MS) window.localStorage.removeItem(key);
      }
    } catch (error) { /* nothing to tidy */ }
  }

  // --- Per-question state ----------------------------------------------------------------------
  function cardAt(position) { return form.querySelector('.question-card[data-position="' + position + '"]'); }
  function markCard(position, state) {
    const card = cardAt(position);
    if (!card) return;
    let label = card.querySelector(".answer-state");
    if (!label) {
      label = document.createElement("small");
      label.className = "answer-state";
      const legend = card.querySelector("legend");
      (legend || card).appendChild(label);
    }
    label.dataset.state = state;
    label.textContent = state ? form.dataset["answer" + state.charAt(0).toUpperCase() + state.slice(1)] || "" : "";
  }
  function markPending(state) { for (const position of pending.keys()) markCard(position, state); }

  // How many times the page was hidden (another tab or app), sent with each autosave for the organisers'
  // report; kept per attempt in sessionStorage so that a reload does not reset it.
  const leftKey = "left:" + answerUrl;
  let left = 0;
  try { left = Number(sessionStorage.getItem(leftKey)) || 0; } catch (error) { /* storage disabled */ }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "hidden" || closed) return;
    left += 1;
    try { sessionStorage.setItem(leftKey, String(left)); } catch (error) { /* storage full or disabled */ }
  });

  function say(kind) { status.textContent = status.dataset[kind]; status.dataset.state = kind; }

  // Choices are named by opaque per-attempt tokens (never database ids): sent back as the strings they are.
  function responseOf(card) {
    const type = card.dataset.type;
    if (type === "single" || type === "true_false") {
      const checked = card.querySelector("input[type=radio]:checked");
      return checked ? checked.value : null;
    }
    if (type === "multiple") {
      return Array.from(card.querySelectorAll("input[type=checkbox]:checked")).map((el) => el.value);
    }
    if (type === "short_text") {
      const value = card.querySelector("input[type=text]").value.trim();
      return value === "" ? null : value;
    }
    if (type === "ordering") {
      const rows = Array.from(card.querySelectorAll("select")).map((el) => ({
        token: el.dataset.choice, place: Number(el.value) }));
      const places = new Set(rows.map((r) => r.place));
      if (places.size !== rows.length) return undefined; // two items share a place: wait until fixed
      return rows.sort((a, b) => a.place - b.place).map((r) => r.token);
    }
    return null;
  }

  function isEmpty(response) { return response === null || (Array.isArray(response) && response.length === 0); }

  function retryLater() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  }

  async function flush() {
    if (closed || pending.size === 0) return;
    if (flushing) { flushAgain = true; return; }
    clearTimeout(retryTimer);
    if (navigator.onLine === false) { say("offline"); markPending("offline"); retryLater(); return; }
    flushing = true;
    say("saving");
    markPending("saving");
    try {
      for (const [position, response] of Array.from(pending.entries())) {
        let reply;
        try {
          reply = await fetch(answerUrl, {
            method: "POST",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
            body: JSON.stringify({ position: position, response: response, left: left }),
            credentials: "same-origin",
          });
        } catch (error) { // no network: keep everything, say so, try again later
          say(navigator.onLine === false ? "offline" : "failed");
          markPending("offline");
          retryLater();
          return;
        }
        const data = await reply.json().catch(() => ({}));
        if (reply.ok && data.saved) {
          if (pending.get(position) === response) { pending.delete(position); markCard(position, "saved"); }
          storeWrite();
          const nav = document.getElementById("nav-" + position);
          if (nav) nav.classList.toggle("answered", !isEmpty(response));
        } else if (reply.status === 409) {
          closed = true; pending.clear(); storeWrite(); say("closed"); form.submit(); return;
        } else if (reply.status === 400) {
          pending.delete(position); storeWrite(); markCard(position, "");
          status.textContent = data.error || status.dataset.failed;
        } else { // the server could not take it now (5xx, 403 of an expired session…): keep and retry
          say("failed");
          markPending("offline");
          retryLater();
          return;
        }
      }
      retryDelay = 1000;
      if (pending.size === 0) say("saved");
    } finally {
      flushing = false;
      if (flushAgain) { flushAgain = false; flush(); }
    }
  }

  // Put an answer kept on the device back on the page (the server's copy predates it).
  function restore(card, response) {
    const type = card.dataset.type;
    if (type === "single" || type === "true_false") {
      card.querySelectorAll("input[type=radio]").forEach((el) => { el.checked = el.value === response; });
    } else if (type === "multiple") {
      const chosen = new Set(response || []);
      card.querySelectorAll("input[type=checkbox]").forEach((el) => { el.checked = chosen.has(el.value); });
    } else if (type === "short_text") {
      card.querySelector("input[type=text]").value = response || "";
    } else if (type === "ordering" && Array.isArray(response)) {
      response.forEach((token, index) => {
        const select = card.querySelector('select[data-choice="' + token + '"]');
        if (select) select.value = String(index + 1);
      });
    }
  }

  function resumeKept() {
    storeForgetOld();
    const kept = storeRead(storeKey);
    for (const card of form.querySelectorAll(".question-card")) {
      const nav = document.getElementById("nav-" + card.dataset.position);
      if (nav && nav.classList.contains("answered")) markCard(card.dataset.position, "saved");
    }
    if (!kept || !kept.answers) return;
    for (const [key, response] of Object.entries(kept.answers)) {
      const card = cardAt(key);
      if (!card) continue;
      restore(card, response);
      pending.set(Number(key), response);
    }
    flush();
  }

  form.addEventListener("change", (event) => {
    const card = event.target.closest(".question-card");
    if (!card) return;
    const response = responseOf(card);
    if (response === undefined) return;
    pending.set(Number(card.dataset.position), response);
    storeWrite();
    flush();
  });
  form.addEventListener("input", (event) => {
    if (event.target.type !== "text") return;
    clearTimeout(event.target._saveTimer);
    event.target._saveTimer = setTimeout(() => event.target.dispatchEvent(new Event("change", { bubbles: true })), 800);
  });
  form.addEventListener("submit", () => { closed = true; });

  // Countdown from the server's figure, against this device's monotonic clock.
  const endsAt = performance.now() + Number(countdown.dataset.secondsLeft) * 1000;
  function tick() {
    const left = Math.max(0, Math.round((endsAt - performance.now()) / 1000));
    const minutes = Math.floor(left / 60), seconds = left % 60;
    countdown.textContent = minutes + ":" + String(seconds).padStart(2, "0");
    if (left <= 60) countdown.classList.add("urgent");
    if (left === 0) { if (!closed) { closed = true; form.submit(); } return; }
    setTimeout(tick, 500);
  }
  tick();
  window.addEventListener("online", () => { retryDelay = 1000; flush(); });
  window.addEventListener("offline", () => { if (pending.size) { say("offline"); markPending("offline"); } });
  window.addEventListener("beforeunload", (event) => {
    if (pending.size && !closed && !storeWorks) event.preventDefault(); // kept nowhere else: warn
  });
  resumeKept();
})();
