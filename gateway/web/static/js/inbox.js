// The notifications page: mark one or all read without leaving the page (the forms still work
// without JavaScript); new notifications that arrive while it is open are listed at once.
import { api, announce } from "./api.js";

const inbox = document.querySelector("[data-inbox]");

function summarise(unread) {
  const summary = inbox.querySelector("[data-unread-summary]");
  if (!summary) return;
  if (unread === 0) summary.textContent = summary.dataset.allRead;
  else summary.textContent = (unread === 1 ? summary.dataset.one : summary.dataset.other)
    .replace("{count}", String(unread));
}

function markShownRead(ids) {
  for (const item of inbox.querySelectorAll("[data-notification]")) {
    if (ids && !ids.includes(item.dataset.notification)) continue;
    item.classList.remove("notification-unread");
    item.querySelector("[data-unread-badge]")?.remove();
    item.querySelector("form[data-mark-read]")?.remove();
  }
}

async function markRead(form) {
  const all = form.querySelector("input[name=all]") !== null;
  const ids = all ? null : [form.querySelector("input[name=ids]").value];
  const button = form.querySelector("button");
  button.disabled = true;
  const response = await api("/api/v1/me/notifications/read", {
    method: "POST", json: all ? { all: true } : { ids },
  });
  if (!response.ok) { form.submit(); return; } // let the server say what went wrong
  const { unread } = await response.json();
  document.dispatchEvent(new CustomEvent("agora:unread", { detail: { unread } }));
  markShownRead(ids);
  summarise(unread);
  if (unread === 0) inbox.querySelector(".mark-all")?.remove();
  focusAfter(form, all);
  announce(inbox.dataset[all ? "markedAll" : "markedOne"]);
}

// The button pressed (disabled while it works, which drops the focus) is usually gone with its
// form: the focus goes to what comes next rather than to the page's start — the notification's
// own link (one marked), the summary that now says all is read (all marked), or the button
// again where it stays (new notifications arrived meanwhile).
function focusAfter(form, all) {
  const button = form.querySelector("button");
  if (form.isConnected) {
    button.disabled = false;
    button.focus();
    return;
  }
  const id = all ? null : form.querySelector("input[name=ids]").value;
  const item = id && inbox.querySelector(`[data-notification="${CSS.escape(id)}"]`);
  const summary = inbox.querySelector("[data-unread-summary]");
  const target = item?.querySelector("a") || summary;
  if (target === summary) summary.tabIndex = -1;
  target.focus();
}

async function showNew() {
  // new notifications: read the first page again (the same page, the same RPC) and add the
  // items this page does not show yet, above the others; what is on screen is left alone
  const response = await fetch(location.pathname, { credentials: "same-origin" });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html")
    .querySelector("[data-inbox]");
  if (!fresh) return;
  let list = inbox.querySelector("#notification-list");
  const known = new Set([...inbox.querySelectorAll("[data-notification]")]
    .map((item) => item.dataset.notification));
  const added = [...fresh.querySelectorAll("[data-notification]")]
    .filter((item) => !known.has(item.dataset.notification));
  if (!added.length) return;
  if (!list) {
    list = fresh.querySelector("#notification-list").cloneNode(false);
    inbox.querySelector(".empty")?.replaceWith(list);
  }
  list.prepend(...added.map((item) => document.importNode(item, true)));
  const summary = fresh.querySelector("[data-unread-summary]");
  if (summary) inbox.querySelector("[data-unread-summary]").textContent = summary.textContent;
  if (!inbox.querySelector(".mark-all") && fresh.querySelector(".mark-all")) {
    inbox.querySelector(".inbox-head").append(document.importNode(fresh.querySelector(".mark-all"), true));
  }
}

if (inbox) {
  inbox.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-mark-read]");
    if (!form) return;
    event.preventDefault();
    markRead(form);
  });
  document.addEventListener("agora:notification", () => { if (!location.search) showNew(); });
  // opening a notification reads it: marked as the page goes (`keepalive` outlives the page),
  // so the list and the bell say so when the member comes back
  inbox.addEventListener("click", (event) => {
    const link = event.target.closest(".notification-unread .notification-body > a");
    if (!link) return;
    const id = link.closest("[data-notification]").dataset.notification;
    api("/api/v1/me/notifications/read", {
      method: "POST", json: { ids: [id] }, keepalive: true,
    }).catch(() => {});
    markShownRead([id]);
  });
}
