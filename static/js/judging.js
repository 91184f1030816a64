// Judge's scoring page: keyboard shortcuts, the running total, a warning before leaving unsaved marks.
// Without JavaScript the form, the player's own controls and the "next entry" link all still work.
(function () {
  const root = document.getElementById("judging");
  const form = document.getElementById("score-form");
  if (!root || !form) return;
  const player = root.querySelector("video, audio");
  const inputs = Array.from(form.querySelectorAll("input.criterion-input"));
  const totalOutput = document.getElementById("judging-total");
  const nextUrl = root.dataset.nextUrl;
  let dirty = false;

  // The running total: the same rule as the server (Σ weight × mark), shown while typing.
  function updateTotal() {
    if (!totalOutput) return;
    let total = 0;
    let complete = true;
    inputs.forEach((input) => {
      const value = parseFloat(input.value.replace(",", "."));
      if (Number.isNaN(value)) { complete = false; return; }
      total += value * parseFloat(input.dataset.weight || "1");
    });
    totalOutput.textContent = complete ? String(Math.round(total * 100) / 100) : "—";
  }
  inputs.forEach((input) => input.addEventListener("input", () => { dirty = true; updateTotal(); }));
  form.addEventListener("input", () => { dirty = true; });
  form.addEventListener("submit", () => { dirty = false; });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  function togglePlay() {
    if (!player) return;
    if (player.paused) { player.play().catch(() => {}); } else { player.pause(); }
  }
  function seek(seconds) {
    if (!player) return;
    const end = Number.isFinite(player.duration) ? player.duration : Infinity;
    player.currentTime = Math.min(Math.max(0, player.currentTime + seconds), end);
  }
  function goNext() {
    if (!nextUrl) return;
    if (dirty && !window.confirm(root.dataset.unsavedMessage || "Leave without saving your marks?")) return;
    dirty = false;
    window.location.assign(nextUrl);
  }

  function typing(target) {
    if (!target) return false;
    const tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.isComposing) return;
    const key = event.key.toLowerCase();
    if (event.altKey) { // work everywhere, even while typing a mark
      if (key === "k") { event.preventDefault(); togglePlay(); }
      else if (key === "n") { event.preventDefault(); goNext(); }
      return;
    }
    if (key === "escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target)) return;
    if (event.target.tagName === "BUTTON" && (key === " " || key === "enter")) return;
    if (key === "k" || (key === " " && event.target === document.body)) { event.preventDefault(); togglePlay(); }
    else if (key === "j") { event.preventDefault(); seek(-5); }
    else if (key === "l") { event.preventDefault(); seek(5); }
    else if (key === "n") { event.preventDefault(); goNext(); }
    else if (key === "m" && inputs.length) { event.preventDefault(); inputs[0].focus(); inputs[0].select(); }
  });

  updateTotal();
})();
