// Show the guardian-consent box as soon as the date of birth says the person is a minor.
// The server applies the same rule; this only saves a round trip.
(function () {
  const birth = document.getElementById("id_date_of_birth");
  const box = document.getElementById("guardian-box");
  if (!birth || !box) return;
  const adultAge = Number(box.dataset.adultAge || 18);
  function ageOn(today, born) {
    let age = today.getFullYear() - born.getFullYear();
    const beforeBirthday = today.getMonth() < born.getMonth() ||
      (today.getMonth() === born.getMonth() && today.getDate() < born.getDate());
    return beforeBirthday ? age - 1 : age;
  }
  function update() {
    if (!birth.value) return;
    const born = new Date(birth.value + "T00:00:00");
    if (isNaN(born)) return;
    box.hidden = ageOn(new Date(), born) >= adultAge;
  }
  birth.addEventListener("input", update);
  birth.addEventListener("change", update);
  update();
})();
