// The board: drag cards (SortableJS), post each move with htmx, keep counts and WIP
// flags in step, open the card panel. The server decides; a refused move is undone.
(function () {
  "use strict";

  function toast(message) {
    const el = document.getElementById("toast");
    if (!el) return;
    el.textContent = message;
    el.hidden = false;
    clearTimeout(el._timer);
    el._timer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  function recount(board) {
    const counts = {};
    board.querySelectorAll(".col-list").forEach((list) => {
      const id = list.dataset.column;
      counts[id] = (counts[id] || 0) + list.querySelectorAll(".card-item").length;
    });
    board.querySelectorAll("[data-count]").forEach((el) => {
      const id = el.dataset.count;
      const wip = parseInt(el.dataset.wip || "0", 10);
      el.textContent = wip ? `${counts[id] || 0} / ${wip}` : String(counts[id] || 0);
      const head = board.querySelector(`[data-column-head="${id}"]`);
      if (head) head.classList.toggle("over-wip", !!wip && (counts[id] || 0) > wip);
    });
  }

  function reload(board) {
    htmx.ajax("GET", board.dataset.boardUrl, { target: "#board", swap: "outerHTML" });
  }

  function init(root) {
    const board = root.id === "board" ? root : root.querySelector && root.querySelector("#board");
    if (!board || board.dataset.canEdit !== "1" || !window.Sortable) return;
    board.querySelectorAll(".col-list").forEach((list) => {
      window.Sortable.create(list, {
        group: "board-" + list.dataset.lane,
        draggable: ".card-item",
        animation: 120,
        ghostClass: "drag-ghost",
        onEnd(evt) {
          if (evt.from === evt.to && evt.oldIndex === evt.newIndex) return;
          const card = evt.item;
          const prev = card.previousElementSibling;
          const next = card.nextElementSibling;
          const values = {
            item: card.dataset.item,
            column: evt.to.dataset.column,
            after: prev && prev.classList.contains("card-item") ? prev.dataset.item : "",
            before: next && next.classList.contains("card-item") ? next.dataset.item : "",
          };
          recount(board);
          if (evt.from !== evt.to) {
            const age = card.querySelector("[data-age]");
            // Just entered its column: "0 hours" in the page's language (from the server).
            if (age) age.textContent = board.dataset.ageZero;
          }
          htmx.ajax("POST", board.dataset.moveUrl, { values: values, swap: "none" }).then(() => {});
        },
      });
    });
  }

  document.body.addEventListener("board-move-refused", (evt) => {
    toast(evt.detail.message);
    const board = document.getElementById("board");
    if (board) reload(board);
  });
  document.body.addEventListener("htmx:responseError", (evt) => {
    const board = document.getElementById("board");
    if (board && evt.detail.requestConfig && evt.detail.requestConfig.path === board.dataset.moveUrl) {
      // Already reported by board-move-refused; a network failure lands here too.
      if (!evt.detail.xhr.getResponseHeader("HX-Trigger")) {
        toast(board.dataset.moveFailed);
        reload(board);
      }
    }
  });
  // The side panel beside the board: opened by a card (hx-get into #card-panel), closed by
  // its ✕ button or Escape; focus goes back to the card it was opened from.
  function closePanel() {
    const panel = document.getElementById("card-panel");
    if (!panel || !panel.classList.contains("open")) return;
    const inner = panel.querySelector("[data-panel-item]");
    const card = inner && document.getElementById("item-" + inner.dataset.panelItem);
    panel.innerHTML = "";
    panel.classList.remove("open");
    if (card) card.focus();
  }

  document.body.addEventListener("click", (evt) => {
    if (evt.target.closest("[data-close-panel]")) closePanel();
  });
  document.addEventListener("keydown", (evt) => {
    if (evt.key === "Escape") closePanel();
  });
  // A save that changed only the card (title, blocked…): redraw that card where it sits.
  // Saves that can move it (sprint, assignee…) send board-changed, which redraws the board.
  document.body.addEventListener("card-changed", (evt) => {
    const card = document.getElementById("item-" + evt.detail.item);
    if (!card) return; // filtered out meanwhile: nothing to redraw
    htmx.ajax("GET", card.getAttribute("hx-get"), { source: card, target: card, swap: "outerHTML" });
  });
  // Enter on a focused card opens it like a click (an hx-trigger filter such as
  // keyup[key=='Enter'] would need eval, which the Content-Security-Policy forbids).
  document.body.addEventListener("keydown", (evt) => {
    const card = evt.target;
    if (evt.key !== "Enter" || !card.classList || !card.classList.contains("card-item")) return;
    evt.preventDefault();
    card.click();
  });
  document.body.addEventListener("htmx:afterSwap", (evt) => {
    const panel = evt.detail.target;
    if (panel.id !== "card-panel") return;
    const opening = !panel.classList.contains("open");
    panel.classList.add("open");
    if (opening) {
      const close = panel.querySelector("[data-close-panel]");
      if (close) close.focus({ preventScroll: true });
    }
  });
  htmx.onLoad(init);
})();
