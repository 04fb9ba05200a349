// The site's bootstrap (an ES module, loaded on every page; no inline script anywhere).
// Every page works without it; with it: an offline page, menus that close like menus, and
// "show more" lists that grow in place (htmx, configured in base.html's htmx-config meta).
import { announce } from "./api.js";

if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  });
}

// <details> menus: close with Escape (focus back on the summary) and on a click elsewhere.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details[open].account-menu")) {
    menu.open = false;
    menu.querySelector("summary").focus();
  }
});
document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll("details[open].account-menu")) {
    if (!menu.contains(event.target)) menu.open = false;
  }
});

// After a "show more" request, tell screen readers and move focus to the first new item.
document.addEventListener("htmx:beforeSwap", (event) => {
  const list = event.detail.target;
  if (list) list.dataset.countBefore = String(list.children.length);
});
document.addEventListener("htmx:afterSwap", (event) => {
  const list = event.detail.target;
  if (!list || list.dataset.countBefore === undefined) return;
  const before = Number(list.dataset.countBefore);
  delete list.dataset.countBefore;
  const first = list.children[before];
  if (first) {
    const link = first.querySelector("a");
    if (link) link.focus();
    announce(document.documentElement.lang === "fr"
      ? `${list.children.length - before} éléments de plus`
      : `${list.children.length - before} more items`);
  }
});
