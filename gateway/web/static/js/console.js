// The moderation queue, fast: one key per action, no reload between items, live list.
//
// The page works without this module (links and forms). With it:
// - j / k open the next / previous item, a approves, r goes to the rejection reason, e to the
//   masked version's editor, Ctrl+Enter (or Cmd+Enter) there publishes it; keys typed in a field
//   stay in the field. A refusal is never one key away: it cannot be undone and its author is
//   told at once, so r only goes to the reason (often preselected) and Enter there, which a
//   browser may take as the form's submission, only moves on to the Refuse button — refusing
//   takes that button, pressed on purpose. The single-letter keys can be turned off (WCAG
//   2.1.4: a stray "a" from speech input must not approve), per staff member in this
//   browser's localStorage — a flag, no token; the project keeps no staff preferences on the
//   server;
// - items, decisions and notes are fetched and swapped in place (the server answers the same
//   page it would render after a redirect), focus goes to the item's heading and the outcome
//   is announced;
// - the list follows other CMs' decisions and new arrivals: the queue API is polled with
//   If-None-Match every POLL_MS (304 until it changes); an item decided elsewhere while open is
//   marked as gone, saying who decided what and when, and its actions disabled.
import { api, announce } from "./api.js";

const POLL_MS = 4000;
const DETAIL = "#queue-detail"; // where an item's page lands (console.py: DETAIL)
// how long the confirmation of a decision offers its undo (the decided item's page offers it
// afterwards, as long as the domain allows it)
const UNDO_MS = 10000;
let undoTimer = null;
let etag = null;
let polling = null;

function root() {
  return document.getElementById("console");
}

function typing(target) {
  return target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

// `detail`: the page lands on the item's detail (an item opened, a decision made: on a phone
// the queue's list is above it), as its #queue-detail address does without this module.
async function swap(response, { push, url = response.url, detail = false }) {
  const html = await response.text();
  const next = new DOMParser().parseFromString(html, "text/html");
  const fresh = next.getElementById("console");
  if (!fresh) {
    window.location.assign(response.url);
    return;
  }
  root().replaceWith(fresh);
  document.querySelector("#live-status .console-said")?.remove(); // said of the item left
  document.title = next.title;
  const csrf = next.querySelector('meta[name="csrf-token"]');
  if (csrf) document.querySelector('meta[name="csrf-token"]').content = csrf.content;
  if (push) history.pushState({ console: true }, "", url);
  else history.replaceState({ console: true }, "", url);
  applyShortcuts();
  const heading = document.getElementById("item-heading");
  // the detail's top: the previous decision's confirmation, then the item (console.css keeps a
  // wide screen, where the detail is beside the list, at the page's top)
  if (detail) document.getElementById("queue-detail")?.scrollIntoView({ block: "start" });
  if (heading) heading.focus({ preventScroll: detail });
  const alert = document.getElementById("form-alert");
  const done = document.getElementById("console-done");
  // an item decided elsewhere meanwhile (a decision that came too late): say how, and be on
  // the way to the next item (Enter)
  const gone = document.getElementById("item-gone");
  const onward = gone && !gone.hidden ? document.getElementById("gone-next") : null;
  if (alert) {
    alert.focus();
  } else if (onward) {
    onward.focus();
    announce(gone.querySelector("p").textContent.trim());
  } else if (done) {
    // what was decided, on which item, what its author reads; then the item now open
    const said = [...done.querySelectorAll("p")].map((p) => p.textContent.trim()).join(" ");
    announce(said + " " + (heading ? heading.textContent.trim() : ""));
  } else if (heading) {
    announce(heading.textContent.trim());
  }
  etag = null; // the new view polls its own filter
  schedule();
  offerUndo();
}

// The undo button of the decision just made goes away after UNDO_MS (the item's page keeps it).
function offerUndo() {
  clearTimeout(undoTimer);
  const undo = document.getElementById("undo-now");
  if (!undo) return;
  undoTimer = setTimeout(() => {
    if (undo.contains(document.activeElement)) document.getElementById("console-done")?.focus();
    undo.remove();
  }, UNDO_MS);
}

async function open(url, push = true) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (response.redirected && !new URL(response.url).pathname.startsWith("/console")) {
    window.location.assign(url); // signed out meanwhile: let the site handle it
    return;
  }
  const hash = new URL(url, location.href).hash; // fetch's response.url has none
  await swap(response, { push, url: response.url + hash, detail: hash === DETAIL });
}

async function submit(form) {
  const response = await fetch(form.action, {
    method: "POST", body: new FormData(form), credentials: "same-origin",
    headers: { Accept: "text/html" },
  });
  if (response.status === 401 || response.status === 403) {
    form.submit(); // let the page-level session handling (refresh, sign-in) take over
    return;
  }
  // a refused decision answers the POST itself: the address stays the queue's (GET) one, which
  // reloads and goes Back; a decision made redirects to the next item's
  const decided = response.redirected;
  await swap(response, { push: false, url: decided ? response.url + DETAIL : location.href,
                         detail: decided });
}

function neighbour(step) {
  const links = [...document.querySelectorAll(".queue-item a")];
  if (!links.length) return null;
  const at = links.findIndex((link) => link.getAttribute("aria-current") === "true");
  const index = at === -1 ? 0 : at + step;
  return links[index] || null;
}

// Something said where the page's status is (#live-status), on screen as well as to screen
// readers: a key that does nothing visible looks broken to a CM in a hurry. The next item
// opened, or the next thing said, replaces it.
function say(text) {
  const region = document.getElementById("live-status");
  if (!region || !text) return;
  const line = document.createElement("p");
  line.className = "notice console-said";
  line.textContent = text;
  region.replaceChildren(line);
}

// What became of the item open here, as its own page now says it (who decided, what, and
// when: the item carries them, and the page names staff to staff only — the queue's API that
// the page polls carries no names), or null: still waiting (off this page of the list), or
// unreachable (then the generic sentence stays).
async function goneSentence(gone) {
  if (!gone.dataset.page) return null;
  try {
    const response = await fetch(gone.dataset.page, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return null;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html")
      .getElementById("item-gone");
    return fresh && !fresh.hidden ? fresh.querySelector("p")?.textContent.trim() || null : null;
  } catch {
    return null;
  }
}

async function disableActions() {
  for (const button of document.querySelectorAll("#queue-detail form.decision button, #decision-bar button")) {
    button.disabled = true;
  }
  const gone = document.getElementById("item-gone");
  if (!gone || !gone.hidden || gone.dataset.asking) return;
  gone.dataset.asking = "true"; // one question per item, however many polls come meanwhile
  const sentence = await goneSentence(gone);
  if (!gone.isConnected) return; // another item opened meanwhile
  if (sentence) gone.querySelector("p").textContent = sentence;
  gone.hidden = false;
  announce(gone.querySelector("p").textContent.trim());
}

async function poll() {
  const console_ = root();
  if (!console_ || document.hidden) return schedule();
  const headers = etag ? { "If-None-Match": etag } : {};
  let response;
  try {
    response = await api(console_.dataset.pollUrl, { headers });
  } catch {
    return schedule();
  }
  if (response.status === 200) {
    const first = etag === null;
    etag = response.headers.get("ETag");
    const page = await response.json();
    const current = console_.dataset.current;
    const leaving = current && console_.dataset.gone !== "true" &&
      !page.items.some((item) => item.id === current);
    if (leaving) await disableActions();
    // who decided the open item is what a screen reader must hear, not the new count over it
    if (!first || listDiffers(page)) await refreshList(!leaving);
  }
  schedule();
}

function listDiffers(page) {
  const shown = [...document.querySelectorAll(".queue-item")].map((li) => li.dataset.item);
  const now = page.items.map((item) => item.id);
  return shown.length !== now.length || shown.some((id, n) => id !== now[n]);
}

async function refreshList(announceCount = true) {
  const response = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const next = new DOMParser().parseFromString(await response.text(), "text/html");
  const focused = document.activeElement && document.activeElement.closest(".queue-item");
  for (const id of ["queue-list", "queue-count"]) {
    const fresh = next.getElementById(id);
    const old = document.getElementById(id);
    if (fresh && old) old.replaceWith(fresh);
  }
  // the list's current item stays the one open here, even if it left the queue
  const current = root().dataset.current;
  for (const link of document.querySelectorAll(".queue-item a")) {
    const here = link.parentElement.dataset.item === current;
    link.parentElement.classList.toggle("is-current", here);
    if (here) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
  if (focused) {
    const same = document.querySelector(`.queue-item[data-item="${focused.dataset.item}"] a`);
    if (same) same.focus();
  }
  if (announceCount) announce(document.getElementById("queue-count")?.textContent.trim() || "");
}

function schedule() {
  clearTimeout(polling);
  polling = setTimeout(poll, POLL_MS);
}

document.addEventListener("click", (event) => {
  const link = event.target.closest(".queue-item a, .console-filters a, .queue .more, #gone-next");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  open(link.href);
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.closest("#console") || !(form.matches("form.decision") || form.matches(".note-form"))) return;
  event.preventDefault();
  // form.elements: the publish button sits in the decision bar, outside its form (form=...)
  const button = event.submitter || [...form.elements].find((field) => field.type === "submit");
  if (button) button.disabled = true;
  submit(form);
});

// -- the single-letter shortcuts: on unless this staff member turned them off here ----------

function shortcutsKey() {
  return `agora:console-shortcuts:${root()?.dataset.me || ""}`;
}

let unstored = null; // the choice when storage is refused: kept while the tab lives

function shortcutsOn() {
  try {
    return localStorage.getItem(shortcutsKey()) !== "off";
  } catch {
    return unstored !== "off";
  }
}

// The switch exists with this module only (without it there are no shortcuts to turn off);
// the controls' aria-keyshortcuts are told only while the keys work.
function applyShortcuts() {
  const on = shortcutsOn();
  const toggle = document.getElementById("shortcuts-on");
  if (toggle) {
    toggle.checked = on;
    toggle.closest("[hidden]")?.removeAttribute("hidden");
  }
  for (const control of document.querySelectorAll("#console [data-keyshortcuts]")) {
    if (on) control.setAttribute("aria-keyshortcuts", control.dataset.keyshortcuts);
    else control.removeAttribute("aria-keyshortcuts");
  }
}

document.addEventListener("change", (event) => {
  if (event.target.id !== "shortcuts-on") return;
  try {
    if (event.target.checked) localStorage.removeItem(shortcutsKey());
    else localStorage.setItem(shortcutsKey(), "off");
  } catch {
    unstored = event.target.checked ? null : "off";
  }
  applyShortcuts();
});

document.addEventListener("keydown", (event) => {
  if (!root()) return;
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && event.target.id === "redact-body") {
    event.preventDefault();
    document.getElementById("redact-form").requestSubmit();
    return;
  }
  if (event.key === "Enter" && event.target.id === "reject-reason") {
    // the reason chosen, not the refusal made: the Refuse button does that, on purpose
    event.preventDefault();
    document.querySelector("#reject-form button[type=submit]")?.focus();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  if (!shortcutsOn()) return;
  const actions = {
    j: () => neighbour(1)?.click(),
    k: () => neighbour(-1)?.click(),
    a: () => {
      const form = document.getElementById("approve-form");
      if (!form) return;
      if (!form.querySelector("button").disabled) {
        form.requestSubmit();
        return;
      }
      // unavailable: say why, and what to do, rather than make a round trip — decided
      // elsewhere meanwhile, or a bank identifier in the text (the sentence under the
      // findings says it too: brought into view, as the status line may be off screen)
      const gone = document.getElementById("item-gone");
      if (gone && !gone.hidden) {
        say(gone.querySelector("p").textContent.trim());
      } else if (form.dataset.blocked) {
        say(form.dataset.blocked);
        document.getElementById("approve-blocked")?.scrollIntoView({ block: "nearest" });
      }
    },
    r: () => document.getElementById("reject-reason")?.focus(),
    e: () => {
      const editor = document.getElementById("redact-body");
      if (!editor) return;
      editor.focus();
      const mask = editor.value.indexOf("•");
      const at = mask === -1 ? editor.value.length : mask;
      editor.setSelectionRange(at, at);
    },
  };
  const action = actions[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
});

window.addEventListener("popstate", () => {
  if (root()) open(location.href, false);
});

if (root()) {
  applyShortcuts();
  schedule();
  offerUndo();
}
