// Quiz attempt: countdown to the server's deadline, autosave of each answer as it is given, and
// submission at zero. Without JavaScript the form still works: the submit button posts every answer.
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

  async function flush() {
    if (closed || pending.size === 0) return;
    say("saving");
    for (const [position, response] of Array.from(pending.entries())) {
      try {
        const reply = await fetch(answerUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify({ position: position, response: response, left: left }),
          credentials: "same-origin",
        });
        const data = await reply.json().catch(() => ({}));
        if (reply.ok && data.saved) {
          if (pending.get(position) === response) pending.delete(position);
          const nav = document.getElementById("nav-" + position);
          if (nav) nav.classList.toggle("answered", response !== null && !(Array.isArray(response) && response.length === 0));
        } else if (reply.status === 409) {
          closed = true; say("closed"); form.submit(); return;
        } else if (reply.status === 400) {
          pending.delete(position); status.textContent = data.error || status.dataset.failed;
        } else { throw new Error("HTTP " + reply.status); }
      } catch (error) {
        say("failed");
        setTimeout(flush, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 15000);
        return;
      }
    }
    retryDelay = 1000;
    if (pending.size === 0) say("saved");
  }

  form.addEventListener("change", (event) => {
    const card = event.target.closest(".question-card");
    if (!card) return;
    const response = responseOf(card);
    if (response === undefined) return;
    pending.set(Number(card.dataset.position), response);
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
  window.addEventListener("beforeunload", (event) => { if (pending.size && !closed) event.preventDefault(); });
})();
