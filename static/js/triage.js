// The triage queue, driven by the keyboard: letters pick MoSCoW and Kano, digits the
// priority, Enter triages and loads the next, N skips, X rejects (with a reason).
(function () {
  "use strict";

  const MOSCOW = { m: "must", s: "should", c: "could", w: "wont" };
  const KANO = { b: "must_be", p: "performance", a: "attractive", i: "indifferent", v: "reverse", q: "questionable" };
  const PRIORITY = { 0: "P0", 1: "P1", 2: "P2", 3: "P3" };
  const TRIAGE_KEYS = /^([mscwbpaivqnx0-3]|Enter)$/i;

  function pick(name, value) {
    const input = document.querySelector(`#triage-form input[name="${name}"][value="${value}"]`);
    if (input) {
      input.checked = true;
      input.closest("label").classList.add("just-picked");
      setTimeout(() => input.closest("label").classList.remove("just-picked"), 250);
    }
  }

  function rejectForm(open) {
    const form = document.getElementById("reject-form");
    if (!form) return;
    form.hidden = !open;
    if (open) form.querySelector("textarea").focus();
  }

  // While a triage, skip or rejection is on its way, the panel about to be replaced is not
  // the one the next keys are meant for: keep them and play them on the next panel.
  let busy = false;
  const waiting = [];

  function handle(evt) {
    const panel = document.getElementById("triage-panel");
    if (!panel || panel.dataset.canEdit !== "1" || evt.altKey || evt.metaKey) return;
    const target = evt.target;
    if (busy && !target.matches("textarea, input[type=text], input[type=number], input[type=search]")) {
      if (TRIAGE_KEYS.test(evt.key)) {
        waiting.push({ key: evt.key, ctrlKey: evt.ctrlKey, metaKey: false, altKey: false, target: document.body, preventDefault() {} });
        evt.preventDefault();
      }
      return;
    }
    const typing = target.matches("textarea, input[type=text], input[type=number], input[type=search]");
    if (target.id === "reject-reason") {
      if (evt.key === "Escape") { rejectForm(false); evt.preventDefault(); }
      if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey)) {
        htmx.trigger(document.getElementById("reject-form"), "submit");
        evt.preventDefault();
      }
      return;
    }
    if (typing && evt.key !== "Enter") return;
    if (evt.ctrlKey) return;
    const key = evt.key.toLowerCase();
    if (key === "enter") {
      const form = document.getElementById("triage-form");
      if (form) { htmx.trigger(form, "submit"); evt.preventDefault(); }
    } else if (MOSCOW[key]) { pick("moscow", MOSCOW[key]); evt.preventDefault(); }
    else if (KANO[key]) { pick("kano", KANO[key]); evt.preventDefault(); }
    else if (PRIORITY[key]) { pick("priority", PRIORITY[key]); evt.preventDefault(); }
    else if (key === "n") {
      const skip = document.querySelector("[data-skip]");
      if (skip) { skip.click(); evt.preventDefault(); }
    } else if (key === "x") { rejectForm(true); evt.preventDefault(); }
  }

  document.addEventListener("keydown", handle);
  document.body.addEventListener("htmx:beforeRequest", (evt) => {
    if (evt.detail.target && evt.detail.target.id === "triage-panel") busy = true;
  });
  function resume() {
    busy = false;
    while (waiting.length && !busy) handle(waiting.shift());
  }
  document.body.addEventListener("htmx:afterSettle", (evt) => {
    if (evt.detail.target && evt.detail.target.id === "triage-panel") resume();
  });
  // A request that failed swaps nothing (or the same panel with its error): carry on.
  document.body.addEventListener("htmx:afterRequest", (evt) => {
    if (evt.detail.target && evt.detail.target.id === "triage-panel" && !evt.detail.successful) resume();
  });

  document.body.addEventListener("click", (evt) => {
    if (evt.target.closest("[data-reject-open]")) rejectForm(true);
    if (evt.target.closest("[data-reject-cancel]")) rejectForm(false);
  });
  // Keep focus off inputs after a swap so the next keystroke is a triage key.
  document.body.addEventListener("htmx:afterSwap", (evt) => {
    if (evt.detail.target.id === "triage-panel" || (evt.detail.elt && evt.detail.elt.id === "triage-panel")) {
      if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    }
  });
})();
