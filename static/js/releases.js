// The release page: "Add a stage" adds a row to the rollout plan's formset (a copy of the
// last row, emptied, with its index renumbered), up to the plan's maximum.
(function () {
  "use strict";

  document.addEventListener("click", (evt) => {
    const button = evt.target.closest("[data-add-stage]");
    if (!button) return;
    const form = button.closest("form");
    const total = form.querySelector('input[name="plan-TOTAL_FORMS"]');
    const rows = form.querySelectorAll("[data-plan-row]");
    const count = parseInt(total.value, 10);
    if (!rows.length || count >= parseInt(button.dataset.max, 10)) return;
    const row = rows[rows.length - 1].cloneNode(true);
    row.dataset.planRow = String(count + 1);
    row.querySelector("td").textContent = String(count + 1);
    row.querySelectorAll(".errorlist").forEach((e) => e.remove());
    row.querySelectorAll("input").forEach((input) => {
      input.name = input.name.replace(/plan-\d+-/, `plan-${count}-`);
      input.id = input.id.replace(/plan-\d+-/, `plan-${count}-`);
      if (input.type === "checkbox") input.checked = false;
      else input.value = "";
      input.removeAttribute("aria-invalid");
    });
    rows[rows.length - 1].after(row);
    total.value = String(count + 1);
    row.querySelector("input").focus();
    if (count + 1 >= parseInt(button.dataset.max, 10)) button.disabled = true;
  });
})();
