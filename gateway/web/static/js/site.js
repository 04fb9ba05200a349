// The site's bootstrap (an ES module, loaded on every page; no inline script anywhere).
// Every page works without it; with it: an offline page, menus that close like menus, and
// "show more" lists that grow in place (htmx, configured in base.html's htmx-config meta).
import { announce } from "./api.js";

if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  });
}

// <details> menus: close with Escape (focus back on the summary), on a click elsewhere and when
// the focus moves out of them (tabbing on, the open menu covered the next links).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details[open].account-menu")) {
    menu.open = false;
    menu.querySelector("summary").focus();
  }
});
function closeMenusOutside(event) {
  for (const menu of document.querySelectorAll("details[open].account-menu")) {
    if (!menu.contains(event.target)) menu.open = false;
  }
}
document.addEventListener("click", closeMenusOutside);
document.addEventListener("focusin", closeMenusOutside);

// A page that comes back with a form's errors (a full page load): the focus goes to their summary
// (role=alert, links to the fields), and the tab's title says so first, as on GOV.UK.
const formAlert = document.querySelector("#form-alert:not([hidden])");
if (formAlert) {
  if (formAlert.dataset.titlePrefix && !document.title.startsWith(formAlert.dataset.titlePrefix)) {
    document.title = formAlert.dataset.titlePrefix + document.title;
  }
  formAlert.focus();
}

// A code block wider than the screen scrolls inside itself (site.css): it takes the keyboard's
// focus, so that the arrow keys scroll it too (the posts' renderer cannot know which will).
function focusableScrollers() {
  for (const block of document.querySelectorAll(".prose pre")) {
    if (block.scrollWidth > block.clientWidth) block.tabIndex = 0;
    else block.removeAttribute("tabindex");
  }
}
focusableScrollers();
document.addEventListener("htmx:afterSettle", focusableScrollers);
window.addEventListener("resize", focusableScrollers);

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
