// One private conversation: send without leaving the page (the form still posts without
// JavaScript), and show the other side's messages as the live channel announces them.
import { api, announce } from "./api.js";

const list = document.querySelector("[data-conversation]");
const form = document.querySelector("form[data-send-message]");

const names = list ? JSON.parse(list.dataset.names || "{}") : {};
const shown = () => new Set([...list.querySelectorAll("[data-message]")].map((li) => li.dataset.message));

function authorName(authorId) {
  if (names[authorId]) return names[authorId];
  return authorId === list.dataset.member ? list.dataset.labelMember : list.dataset.labelTeam;
}

function formatTime(iso) {
  try {
    return new Intl.DateTimeFormat(list.dataset.lang === "fr" ? "fr-FR" : "en-GB",
      { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" }).format(new Date(iso));
  } catch { return iso; }
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
    time.textContent = formatTime(message.created_at);
    author.append(time);
  }
  const body = document.createElement("p");
  body.className = "message-body";
  body.textContent = message.body || "";
  item.append(author, body);
  list.append(item);
  document.querySelector(".conversation .empty")?.remove();
  return item;
}

async function catchUp() {
  const response = await api(`/api/v1/conversations/${list.dataset.conversation}?limit=200`);
  if (!response.ok) return;
  const known = shown();
  for (const message of (await response.json()).messages || []) {
    if (known.has(message.id) || !append(message)) continue;
    if (message.author_id !== list.dataset.me) {
      announce(list.dataset.newFrom.replace("{who}", authorName(message.author_id)));
    }
  }
}

async function send(event) {
  event.preventDefault();
  const field = form.querySelector("textarea[name=body]");
  const error = form.querySelector(".field-error");
  const button = form.querySelector("button[type=submit]");
  const text = field.value;
  if (!text.trim()) { field.focus(); return; }
  button.disabled = true;
  announce(form.dataset.sending);
  const response = await api(`/api/v1/conversations/${list.dataset.conversation}/messages`, {
    method: "POST", json: { body: text },
  });
  button.disabled = false;
  if (response.status === 201) {
    const message = await response.json();
    append(message);
    field.value = "";
    error.hidden = true;
    field.removeAttribute("aria-invalid");
    announce(form.dataset.sent);
    return;
  }
  error.textContent = form.dataset.failed;
  error.hidden = false;
  field.setAttribute("aria-invalid", "true");
  field.setAttribute("aria-describedby", error.id);
  field.focus();
}

if (list) {
  document.addEventListener("agora:message", (event) => {
    if (event.detail.conversation_id === list.dataset.conversation
        && !shown().has(event.detail.message_id)) catchUp();
  });
  document.addEventListener("agora:refresh", catchUp);
  // a phone that slept or lost its network may have missed announcements: look again on return
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") catchUp();
  });
  window.addEventListener("online", catchUp);
  if (form) form.addEventListener("submit", send);
}
