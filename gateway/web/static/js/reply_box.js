// A private conversation's reply box, on the member's page (conversation.js) and the console's
// (console_staff.js): the page opens at its newest message with the box in view, Ctrl+Enter
// (⌘+Enter) sends (said under the box where a keyboard is likely), and the conversation's
// notifications are marked read while it is in view.
import { api } from "./api.js";

const MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
// A touch screen's main pointer (a phone, a tablet): its keyboard has no Ctrl, so the hint
// would only take a line under every reply box. The keys still send where a keyboard is plugged.
const TOUCH = matchMedia("(pointer: coarse)").matches;

// The newest message and the reply box in view, as a chat opens: only on the newest page and
// when the address points nowhere else (#m-…, #messages-top). The focus stays where a page
// starts: a screen reader reads it from its heading, a phone opens no keyboard; the "go to the
// reply box" link at the top takes whoever wants it there.
export function openAtNewest(list, form) {
  if (!("latest" in list.dataset) || location.hash || !form) return;
  // a short conversation whose send button is already on screen, under its newest message:
  // scrolling to the box's end only cut the page's header off (by ~30 px on a 1366x900 screen)
  const send = form.querySelector("button[type=submit]");
  if (send && send.getBoundingClientRect().bottom <= window.innerHeight) return;
  const box = form.closest("section") || form; // its card, with a little room below it
  box.style.scrollMarginBottom = "1rem";
  box.scrollIntoView({ block: "end" });
}

// Ctrl+Enter (⌘+Enter) in the box submits the form as its button does, never while a send is
// under way (the button is disabled then) nor on a held key's repeats; `refuseEmpty` says why
// an empty box sends nothing (no round trip to the server for it).
export function sendWithKeys(form, refuseEmpty) {
  const field = form.querySelector("textarea[name=body]");
  const button = form.querySelector("button[type=submit]");
  const hint = document.getElementById(`${field.id}-shortcut`);
  if (hint) {
    if (MAC && hint.dataset.mac) hint.textContent = hint.dataset.mac;
    hint.hidden = TOUCH;
  }
  field.setAttribute("aria-keyshortcuts", MAC ? "Meta+Enter" : "Control+Enter");
  field.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.isComposing) return;
    event.preventDefault();
    if (event.repeat || button.disabled) return;
    if (!field.value.trim()) { refuseEmpty(); return; }
    form.requestSubmit(button);
  });
}

// What is read needs no notification: the conversation's are marked read when the reader sent
// in it, and when one arrives while the page is in view (the other side wrote).
export function readWhileOpen(conversationId) {
  const markRead = () => api("/api/v1/me/notifications/read", {
    method: "POST", json: { conversation_id: conversationId },
  }).catch(() => {});
  // a notice that arrives while the tab is hidden is not read yet: it is once the reader is back
  let unseen = false;
  document.addEventListener("agora:notification", (event) => {
    const fresh = (event.detail?.new || []).some((notice) => notice.type === "private_message");
    if (!fresh) return;
    if (document.visibilityState === "visible") markRead(); else unseen = true;
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible" || !unseen) return;
    unseen = false;
    markRead();
  });
  return markRead;
}
