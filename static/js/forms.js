// Small form behaviours declared in the markup, so that no page needs an inline handler (the
// Content-Security-Policy runs only our own files):
//   <form data-confirm="Delete this?">  asks before it is sent;
//   <select data-autosubmit>            sends its form when the choice changes (a <noscript> button remains).
(function () {
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    const field = event.target;
    if (field.matches && field.matches("select[data-autosubmit]") && field.form) field.form.submit();
  });
})();
