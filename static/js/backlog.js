// The requirement backlog: drag to reorder (SortableJS; each drop posts {requirement,
// after, before} and the server decides), multi-select for bulk edit, saved views that
// keep the filters currently in the URL. A refused reorder reloads the list.
(function () {
  "use strict";

  function toast(message) {
    const el = document.getElementById("toast");
    if (!el) return;
    el.textContent = message;
    el.hidden = false;
    clearTimeout(el._timer);
    el._timer = setTimeout(() => { el.hidden = true; }, 5000);
  }

  function results() { return document.getElementById("backlog-results"); }

  function reload() {
    const box = results();
    if (box) htmx.ajax("GET", box.dataset.backlogUrl, { target: "#backlog-results", swap: "outerHTML" });
  }

  function rowId(row) {
    return row && row.classList.contains("req-row") ? row.dataset.requirement : "";
  }

  function updateBulkBar() {
    const bar = document.getElementById("bulk-bar");
    if (!bar) return;
    const checked = document.querySelectorAll("#backlog-results input[name=ids]:checked");
    bar.hidden = checked.length === 0;
    const count = document.getElementById("bulk-count");
    if (count) count.textContent = String(checked.length);
  }

  function init(root) {
    const body = root.id === "backlog-rows" ? root : root.querySelector && root.querySelector("#backlog-rows");
    if (body && body.dataset.draggable === "1" && window.Sortable && !body._sortable) {
      body._sortable = window.Sortable.create(body, {
        handle: ".drag-handle",
        draggable: ".req-row",
        animation: 120,
        ghostClass: "drag-ghost",
        onEnd(evt) {
          if (evt.oldIndex === evt.newIndex) return;
          const row = evt.item;
          const values = {
            requirement: row.dataset.requirement,
            after: rowId(row.previousElementSibling),
            before: rowId(row.nextElementSibling),
          };
          htmx.ajax("POST", results().dataset.reorderUrl, { values: values, swap: "none" });
        },
      });
    }
    updateBulkBar();
  }

  document.body.addEventListener("change", (evt) => {
    if (evt.target.matches("[data-select-all]")) {
      document.querySelectorAll("#backlog-results input[name=ids]").forEach((box) => {
        box.checked = evt.target.checked;
      });
    }
    if (evt.target.matches("#backlog-results input[name=ids], [data-select-all]")) updateBulkBar();
  });
  document.body.addEventListener("click", (evt) => {
    if (evt.target.closest("[data-clear-selection]")) {
      document.querySelectorAll("#backlog-results input[name=ids]:checked, [data-select-all]").forEach((box) => {
        box.checked = false;
      });
      updateBulkBar();
    }
  });
  document.body.addEventListener("submit", (evt) => {
    // Save the filters as they are now (htmx pushed them into the URL).
    if (evt.target.id === "save-view-form") {
      document.getElementById("save-view-query").value = window.location.search.replace(/^\?/, "");
    }
  });
  document.body.addEventListener("backlog-reorder-refused", (evt) => {
    toast(evt.detail.message);
    reload();
  });
  document.body.addEventListener("htmx:responseError", (evt) => {
    const box = results();
    const config = evt.detail.requestConfig;
    if (box && config && config.path === box.dataset.reorderUrl && !evt.detail.xhr.getResponseHeader("HX-Trigger")) {
      toast(evt.detail.xhr.responseText || "Reorder failed");
      reload();
    }
  });
  document.body.addEventListener("requirements-bulk-changed", (evt) => {
    // The list is reloaded and the selection with it: say what happened in a toast.
    const all = document.querySelector("[data-select-all]");
    if (all) all.checked = false;
    if (evt.detail && evt.detail.message) toast(evt.detail.message);
  });
  htmx.onLoad(init);
})();
