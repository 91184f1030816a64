// Moderation queue: one box ticks every row (the form still works box by box without JavaScript).
(function () {
  const all = document.getElementById("select-all");
  if (!all) return;
  all.addEventListener("change", () => {
    document.querySelectorAll("#moderation-form input[name=entries]").forEach((box) => { box.checked = all.checked; });
  });
})();
