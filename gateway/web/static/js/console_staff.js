// The advisors' console, progressively enhanced: new messages arrive live (the member's own
// event stream, GET /api/v1/me/events, opened by live.js) in the open conversation and in the inbox, and a reply is
// sent through the API without reloading. Without JavaScript the pages and the reply form work
// as they are (server-rendered; reload to see new messages).
import { api, announce } from "./api.js";
import { clockTexts, fill, formatWait, level, showLevel } from "./console_clocks.js";
import { maskCards } from "./confidential.js";
import { formatDateTime } from "./dates.js";
import { maskedQuery, showMasked } from "./masked_notice.js";
import { gluePunctuation } from "./typography.js";
import { openAtNewest, readWhileOpen, sendWithKeys } from "./reply_box.js";
import { followStaffSide } from "./console_side.js";

const QUEUE_POLL_MS = 30000; // the staff queue is not announced on the stream: poll it gently
const TICK_MS = 1000;

// The stream itself is the header's (live.js): it re-emits its frames as DOM events.
function listen(handlers) {
  for (const [name, handle] of Object.entries(handlers)) {
    document.addEventListener(name, (event) => handle(event.detail || {}));
  }
  // live.js may have connected (its "hello" and agora:refresh) before this module ran: a
  // module fetched late under load missed it, and the page never said it was live
  const bell = document.querySelector("[data-bell]");
  if (bell && bell.dataset.live === "open") handlers["agora:refresh"]?.({});
}

// -- one conversation -------------------------------------------------------------------------

function conversationPage(list) {
  const id = list.dataset.conversation;
  const me = list.dataset.me;
  const texts = document.getElementById("staff-texts").dataset;
  const template = document.getElementById("staff-message-template");
  const form = document.getElementById("staff-reply");

  // whether it was new here (appended)
  const show = (message) => {
    if (list.querySelector(`[data-message="${CSS.escape(message.id)}"]`)) return false;
    list.querySelector(".empty")?.remove();
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.message = message.id;
    item.id = "m-" + message.id;
    const mine = message.author_id === me;
    if (mine) item.classList.add("staff-message-mine");
    item.querySelector("strong").textContent = mine ? texts.you
      : message.author_id === list.dataset.member ? texts.member : texts.staff;
    const time = item.querySelector("time");
    if (message.created_at) {
      time.dateTime = message.created_at;
      time.textContent = formatDateTime(message.created_at); // as the server writes dates
    }
    // a card number masked, punctuation glued, as the server renders the page (masking.py,
    // typography.py)
    item.querySelector(".staff-message-body").textContent =
      gluePunctuation(maskCards(message.body || ""));
    list.append(item);
    return true;
  };

  // « Marquer comme traitée » and the "marked handled" line follow the messages as they come
  // (the page showed a new message live but kept saying "handled", or no button while the
  // customer waited): the customer's message makes it wait, anyone else's ends the wait, and
  // either ends a "handled" (the server's rule: projections.py `_wait_changed`)
  const handleTemplate = document.getElementById("staff-handle-template");
  const follow = (message) => {
    if (!handleTemplate) return; // a closed conversation: nothing to answer or mark
    document.getElementById("staff-handled")?.remove();
    const handle = document.getElementById("staff-handle");
    const waiting = message.author_id === list.dataset.member;
    if (waiting && !handle) {
      handleTemplate.before(handleTemplate.content.firstElementChild.cloneNode(true));
    } else if (!waiting && handle) {
      const focused = handle.contains(document.activeElement);
      handle.remove();
      if (focused) form?.elements.body.focus(); // not lost on the page's body
    }
  };

  // what came after the last message shown, never the oldest page; an earlier page (opened
  // from "Earlier messages") is the past, not the end of the conversation: left as it is
  const refresh = async () => {
    if (!("latest" in list.dataset)) return;
    const last = [...list.querySelectorAll("[data-message]")].at(-1)?.dataset.message;
    const query = last ? `after=${encodeURIComponent(last)}&limit=200` : "limit=200";
    const response = await api(`/api/v1/conversations/${encodeURIComponent(id)}?${query}`);
    if (!response.ok) return;
    const conversation = await response.json();
    list.dataset.member = conversation.member_id || "";
    // the list is a polite live region: what it gains is read once, by it (no announce())
    const added = conversation.messages.filter(show);
    if (added.length) follow(added.at(-1));
  };

  listen({
    "agora:refresh": () => { list.dataset.live = "on"; refresh(); }, // (re)connected
    "agora:message": (data) => { if (data.conversation_id === id) refresh(); },
  });

  // a refused reply says why, visibly, on its field (null: no error any more)
  const refuse = (reason) => {
    const field = form.elements.body;
    const error = document.getElementById("field-body-error");
    error.textContent = reason || "";
    error.hidden = !reason;
    form.querySelector(".field")?.classList.toggle("field-invalid", Boolean(reason));
    if (reason) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", error.id);
    } else {
      field.removeAttribute("aria-invalid");
    }
  };
  const refusal = async (response) => {
    if (response.status === 409) return texts.closed;
    const problem = await response.json().catch(() => ({})); // the API's words for the field
    return [problem.errors?.body].flat().filter(Boolean).join(" ") || texts.error;
  };

  const markRead = readWhileOpen(id);
  if (form) sendWithKeys(form, () => refuse(texts.required));
  openAtNewest(list, form);

  // a closed conversation (its member erased their account) has no reply form
  form?.addEventListener("submit", async (event) => {
    const body = form.elements.body.value.trim();
    if (!body) return; // the server answers the empty form with its error
    event.preventDefault();
    if (body.length > form.elements.body.maxLength) { refuse(texts.tooLong); return; }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await api(`/api/v1/conversations/${encodeURIComponent(id)}/messages`,
        { method: "POST", json: { body } });
      if (!response.ok) { refuse(await refusal(response)); return; }
      const message = await response.json();
      // what the service stored masked (a card number, a PIN, a password), named
      const notice = form.querySelector("[data-card-masked]");
      if (!("latest" in list.dataset)) {
        const masked = maskedQuery(notice, message.masked);
        location.assign(`${location.pathname}${masked}#m-${message.id}`);
        return;
      }
      show(message);
      follow(message);
      form.elements.body.value = "";
      form.elements.body.dispatchEvent(new Event("input")); // its warning (private_warning.js) goes
      refuse(null);
      // the author told, until their next reply
      const told = showMasked(notice, message.masked);
      if (told) announce(told);
      markRead();
    } catch {
      refuse(texts.error);
    } finally {
      button.disabled = false;
      form.elements.body.focus();
    }
  });
}

// -- the inbox --------------------------------------------------------------------------------

// Where focus is in the inbox, by what it points at (a conversation's row), so that a re-read
// puts it back on the same row, or on the one now in its place if that row left its list.
function focusPlace(inbox) {
  const active = document.activeElement;
  if (!active || !inbox.contains(active)) return null;
  const row = active.closest("[data-conversation]");
  const list = row?.closest("ul");
  return {
    href: active.getAttribute("href"), // outside the rows: the "more" link
    conversation: row?.dataset.conversation,
    list: list?.id || list?.closest("section")?.getAttribute("aria-labelledby"),
    index: list ? [...list.children].indexOf(row) : -1,
  };
}

function restoreFocus(inbox, place) {
  if (!place || inbox.contains(document.activeElement)) return;
  const row = place.conversation &&
    inbox.querySelector(`[data-conversation="${CSS.escape(place.conversation)}"]`);
  // the same link of that row (its customer's name, or the conversation's)
  const same = row && ((place.href && row.querySelector(`a[href="${CSS.escape(place.href)}"]`)) ||
    row.querySelector("a"));
  let target = same || (!place.conversation && place.href &&
    inbox.querySelector(`a[href="${CSS.escape(place.href)}"]`));
  if (!target && place.list) {
    const list = document.getElementById(place.list)?.closest("section")?.querySelector("ul") ||
      document.getElementById(place.list);
    const links = list ? [...list.querySelectorAll(".staff-row-link")] : [];
    target = links[Math.min(place.index, links.length - 1)] || null;
    if (!target && list) { // the list emptied: its heading, made focusable for this
      target = list.closest("section")?.querySelector("h2") || null;
      target?.setAttribute("tabindex", "-1");
    }
  }
  target?.focus({ preventScroll: true });
}

// The waits count up while the inbox stays open, and turn "close to" then "past target" on
// time (the response-time board's arithmetic, console_clocks.js), from the server's start and
// due times; a wait counted in opening hours keeps the server's figure but still turns past at
// its due time. The server's clock is the reference: its offset is measured once.
function tickWaits(inbox) {
  const texts = inbox.dataset;
  const { now: serverTime, formats, labels } = clockTexts(texts);
  const whole = (text) => text.replaceAll(" ", "\u00a0"); // as the server: « 10 s » on one line
  const tick = () => {
    const now = serverTime();
    for (const clock of inbox.querySelectorAll(".staff-row-wait [data-clock]")) {
      const { started, target, due, business } = clock.dataset;
      const seconds = business === "true" ? null : (now - Date.parse(started)) / 1000;
      if (seconds !== null) {
        clock.querySelector(".clock-waited").textContent = fill(texts.formatAge, {
          waited: whole(fill(texts.formatWait, { duration: formatWait(seconds, formats) })),
          target: whole(formatWait(Number(target), formats)) });
      }
      const state = level(seconds, Number(target), now, due ? Date.parse(due) : null);
      if (business === "true" && state === "ok") continue; // the server's level stands
      const label = clock.querySelector(".clock-level");
      showLevel(clock, label, label.querySelector("strong"), state, labels);
    }
  };
  tick();
  setInterval(tick, TICK_MS);
}

function inboxPage(inbox) {
  const fresh = new Set(); // conversations the customer wrote in since the page opened
  let shown = inbox.innerHTML;
  // "New message" while the customer waits: an answer (from any tab or device, or a
  // colleague's) takes the badge off; the customer's next message puts it back (arrived())
  const mark = () => {
    for (const row of inbox.querySelectorAll("[data-conversation]")) {
      const id = row.dataset.conversation;
      if (!row.classList.contains("staff-row-waiting")) fresh.delete(id);
      row.classList.toggle("staff-row-new", fresh.has(id));
      const badge = row.querySelector(".badge-new");
      if (badge) badge.hidden = !fresh.has(id);
    }
  };
  const reload = async () => {
    // this page's own address: one customer's inbox (`?customer=`) stays theirs
    const response = await fetch(location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const next = page.getElementById("staff-inbox");
    if (!next) return;
    // nothing changed (most polls): the page is left alone, focus and reading undisturbed
    if (next.innerHTML !== shown) {
      shown = next.innerHTML;
      const place = focusPlace(inbox);
      inbox.replaceChildren(...next.childNodes);
      restoreFocus(inbox, place);
    }
    mark();
  };
  const arrived = (data) => {
    if (data.author_id !== inbox.dataset.me) fresh.add(data.conversation_id);
    reload();
  };
  listen({
    "agora:refresh": (data) => {
      if (data.conversation_id) fresh.add(data.conversation_id); // a new conversation with me
      inbox.dataset.stream = "on";
      reload();
    },
    "agora:message": arrived,
  });
  setInterval(reload, QUEUE_POLL_MS);
  tickWaits(inbox);
}

const messages = document.getElementById("staff-messages");
if (messages) conversationPage(messages);
if (messages) followStaffSide(messages); // notes, participants, « traitée »: colleagues' doing
const inbox = document.querySelector("[data-live=inbox]");
if (inbox) inboxPage(inbox);
