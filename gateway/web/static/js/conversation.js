// One private conversation: send without leaving the page (the form still posts without
// JavaScript), and show the other side's messages as the live channel announces them.
import { api, announce } from "./api.js";
import { maskCards } from "./confidential.js";
import { formatDateTime } from "./dates.js";
import { maskedQuery, showMasked } from "./masked_notice.js";
import { gluePunctuation } from "./typography.js";
import { openAtNewest, readWhileOpen, sendWithKeys } from "./reply_box.js";

const list = document.querySelector("[data-conversation]");
const form = document.querySelector("form[data-send-message]");

const names = list ? JSON.parse(list.dataset.names || "{}") : {};
const shown = () => new Set([...list.querySelectorAll("[data-message]")].map((li) => li.dataset.message));

function authorName(authorId) {
  if (names[authorId]) return names[authorId];
  return authorId === list.dataset.member ? list.dataset.labelMember : list.dataset.labelTeam;
}

function append(message) {
  // the send's answer and the live channel's announcement of the same message may cross
  if (shown().has(message.id)) return null;
  const item = document.createElement("li");
  item.className = "message" + (message.author_id === list.dataset.me ? " message-mine" : "");
  item.dataset.message = message.id;
  const author = document.createElement("p");
  author.className = "message-author";
  author.textContent = authorName(message.author_id) + " ";
  if (message.created_at) {
    const time = document.createElement("time");
    time.dateTime = message.created_at;
    time.textContent = formatDateTime(message.created_at);
    author.append(time);
  }
  const body = document.createElement("p");
  body.className = "message-body";
  // as the server renders it (masking.py, then typography.py)
  body.textContent = gluePunctuation(maskCards(message.body || ""));
  item.append(author, body);
  list.append(item);
  document.querySelector(".conversation .empty")?.remove();
  return item;
}

// what came after the last message shown (never the oldest page again); only on the newest
// page: an earlier page is a page of the past, not the end of the conversation
async function catchUp() {
  if (!("latest" in list.dataset)) return;
  const last = [...list.querySelectorAll("[data-message]")].at(-1)?.dataset.message;
  const query = last ? `after=${encodeURIComponent(last)}&limit=200` : "limit=200";
  const response = await api(`/api/v1/conversations/${list.dataset.conversation}?${query}`);
  if (!response.ok) return;
  const known = shown();
  let newest = null;
  for (const message of (await response.json()).messages || []) {
    if (known.has(message.id) || !append(message)) continue;
    newest = message;
    if (message.author_id !== list.dataset.me) {
      announce(list.dataset.newFrom.replace("{who}", authorName(message.author_id)));
    }
  }
  if (newest) awaiting(newest);
}

// « Réponse habituelle sous 8 h » says when the bank answers while the conversation awaits
// it, as the server renders it (`waiting_for_staff`): the bank's answer arriving live ends the
// wait, the customer's own message (from another tab or device too) starts it again
function awaiting(last) {
  const line = document.getElementById("usual-reply");
  if (line) line.hidden = last.author_id !== list.dataset.member;
}

// the reason a reply was refused, tied to its field: retrying helps only when nothing else is
// known (the network, the server)
function refuse(field, error, reason) {
  error.textContent = reason;
  error.hidden = false;
  field.setAttribute("aria-invalid", "true");
  field.setAttribute("aria-describedby", error.id);
  field.focus();
}

async function reason(response) {
  if (response.status === 409) return form.dataset.closed;
  // the API's own message for the field, in the reader's language
  const problem = await response.json().catch(() => ({}));
  return [problem.errors?.body].flat().filter(Boolean).join(" ") || form.dataset.failed;
}

async function send(event) {
  event.preventDefault();
  const field = form.querySelector("textarea[name=body]");
  const error = form.querySelector(".field-error");
  const button = form.querySelector("button[type=submit]");
  const text = field.value;
  if (!text.trim()) { refuse(field, error, form.dataset.required); return; }
  if (text.length > Number(field.maxLength)) { refuse(field, error, form.dataset.tooLong); return; }
  button.disabled = true;
  announce(form.dataset.sending);
  const response = await api(`/api/v1/conversations/${list.dataset.conversation}/messages`, {
    method: "POST", json: { body: text },
  });
  button.disabled = false;
  if (response.status === 201) {
    const message = await response.json();
    // what the service stored masked (a card number, a PIN, a password), named
    const notice = form.querySelector("[data-card-masked]");
    if (!("latest" in list.dataset)) {
      // told to the page reached without the script (as the server says it)
      location.assign(`${location.pathname}${maskedQuery(notice, message.masked)}#message-form`);
      return;
    }
    append(message);
    field.value = "";
    field.dispatchEvent(new Event("input")); // what watches the text (its warning) sees it gone
    error.hidden = true;
    field.removeAttribute("aria-invalid");
    // the author told, until their next message
    announce(showMasked(notice, message.masked) || form.dataset.sent);
    document.getElementById("usual-reply")?.removeAttribute("hidden"); // it now awaits the bank
    markRead();
    return;
  }
  refuse(field, error, await reason(response));
}

const markRead = list ? readWhileOpen(list.dataset.conversation) : () => {};

if (list) {
  document.addEventListener("agora:message", (event) => {
    if (event.detail.conversation_id === list.dataset.conversation
        && !shown().has(event.detail.message_id)) catchUp();
  });
  document.addEventListener("agora:refresh", catchUp);
  // connected before this module ran (its agora:refresh missed): what arrived since the render
  if (document.querySelector("[data-bell]")?.dataset.live === "open") catchUp();
  // a phone that slept or lost its network may have missed announcements: look again on return
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") catchUp();
  });
  window.addEventListener("online", catchUp);
  if (form) {
    form.addEventListener("submit", send);
    sendWithKeys(form, () => refuse(form.querySelector("textarea[name=body]"),
      form.querySelector(".field-error"), form.dataset.required));
  }
  openAtNewest(list, form);
}
