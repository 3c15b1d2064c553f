// Behaviour every page shares, declared in the markup with data attributes and handled by
// delegated listeners here: the Content-Security-Policy (script-src 'self') blocks inline
// on*= handlers, so templates never carry code.
//
//   <form data-confirm="…">            asks before submitting (or on its submit button)
//   <select data-autosubmit>           submits its form when changed
//   <select data-navigate="/x/__value__/">  goes to that URL with the chosen value
//   <button data-copy="#id" data-copied="…">  copies the field's value, then says so
//   <button data-print>                prints the page
// htmx requests ask with hx-confirm instead (htmx handles those itself).
(function () {
  "use strict";

  document.addEventListener(
    "submit",
    (evt) => {
      const form = evt.target;
      const submitter = evt.submitter;
      const message =
        (submitter && submitter.dataset && submitter.dataset.confirm) || form.dataset.confirm;
      if (message && !window.confirm(message)) {
        evt.preventDefault();
        // Capture phase at the document: htmx's own submit listener never sees a refusal.
        evt.stopImmediatePropagation();
      }
    },
    true,
  );

  document.addEventListener("change", (evt) => {
    const el = evt.target;
    if (!(el instanceof HTMLSelectElement)) return;
    if (el.hasAttribute("data-navigate")) {
      const url = el.dataset.navigate.replace("__value__", encodeURIComponent(el.value));
      window.location.assign(url);
    } else if (el.hasAttribute("data-autosubmit") && el.form) {
      // requestSubmit fires "submit", so confirmations and htmx still apply.
      el.form.requestSubmit();
    }
  });

  document.addEventListener("click", (evt) => {
    const copy = evt.target.closest("[data-copy]");
    if (copy) {
      const field = document.querySelector(copy.dataset.copy);
      if (field && navigator.clipboard) {
        navigator.clipboard.writeText(field.value).then(() => {
          if (copy.dataset.copied) copy.textContent = copy.dataset.copied;
        });
      } else if (field) {
        // No clipboard API (plain http on a non-local host): select it for Ctrl+C.
        field.select();
      }
      return;
    }
    if (evt.target.closest("[data-print]")) window.print();
  });
})();
