// Entry page: while the latest recording is processed, ask the server for its state every few seconds,
// show it, and reload the page once processing is over (ready to play, or refused with the reason).
(function () {
  const section = document.getElementById("entry-state");
  if (!section || !section.dataset.statusUrl) return;
  const badge = section.querySelector("[data-state]");
  let delay = 2000;

  async function poll() {
    try {
      const reply = await fetch(section.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      const status = await reply.json();
      if (!status.pending) { window.location.reload(); return; }
      if (badge && status.state !== badge.dataset.state) { badge.dataset.state = status.state; badge.textContent = "⏳ " + status.label; }
      delay = Math.min(delay * 1.5, 15000);
    } catch (error) {
      delay = 15000;
    }
    setTimeout(poll, delay);
  }
  setTimeout(poll, delay);
})();
