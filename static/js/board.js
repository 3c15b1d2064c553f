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
            if (age) age.textContent = "0h";
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
        toast(evt.detail.xhr.responseText || "Move failed");
        reload(board);
      }
    }
  });
  document.body.addEventListener("click", (evt) => {
    if (evt.target.closest("[data-close-panel]")) {
      const panel = document.getElementById("card-panel");
      panel.innerHTML = "";
      panel.classList.remove("open");
    }
  });
  document.body.addEventListener("htmx:afterSwap", (evt) => {
    if (evt.detail.target.id === "card-panel") evt.detail.target.classList.add("open");
  });
  htmx.onLoad(init);
})();
