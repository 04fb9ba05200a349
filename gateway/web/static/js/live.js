// The live channel (GET /api/v1/me/events): keeps the header's bell current without a reload
// and tells the page's own scripts what changed, as DOM events on `document`:
//   agora:refresh       (re)connected or events were dropped: re-read what the page shows
//   agora:notification  {unread, new: [{id, type}]}
//   agora:message       {conversation_id, message_id, author_id}
//   agora:read          notifications were read elsewhere
//   agora:note          {conversation_id, note_id, author_id}      (staff only: a colleague's
//   agora:participants  {conversation_id, participant_id, change}   note, someone joining or
//   agora:handled       {conversation_id, settled_by}               leaving, « traitée »)
//   agora:live-missed   events were missed — the stream is back after being down, or the
//                       server dropped some for a slow page (resync): what they would have carried
//                       meanwhile was lost (the server keeps no buffer), read it again
// and listens to agora:unread {unread} from page scripts that learnt the count themselves.
// The stream carries references and counts only; pages read content through the API.
// When the server refuses the stream, the bell shows the count read from the API and the stream
// is tried again later, further apart each time. The bell's data-live says which it is: "open",
// "retrying" (the count comes from the API), "ended" (signed out, or another of the member's
// pages took this one's place: it reconnects when the page is looked at again).
import { api, announce, refreshSession } from "./api.js";

const UNREAD_COUNT = "/api/v1/me/notifications/unread-count";

const bell = document.querySelector("[data-bell]");

function setUnread(count) {
  if (!bell) return;
  const badge = bell.querySelector("[data-bell-count]");
  const label = bell.querySelector("[data-bell-label]");
  badge.textContent = count > 99 ? "99+" : String(count);
  badge.hidden = count === 0;
  const template = count === 1 ? bell.dataset.one : bell.dataset.other;
  label.textContent = count > 0 ? ` (${template.replace("{count}", String(count))})` : "";
  bell.dataset.unread = String(count);
}

async function refreshCount() {
  const response = await api(UNREAD_COUNT);
  if (response.ok) setUnread((await response.json()).unread);
}

function emit(name, detail) {
  document.dispatchEvent(new CustomEvent(name, { detail }));
}

function setState(state) {
  if (bell) bell.dataset.live = state;
}

// the stream broke or was closed since its last hello: the next hello is a reopening
let down = false;

let backoff = 1000;
function connectLater() {
  // spread out: the pages of a replica that stopped do not all come back at the same instant
  window.setTimeout(connect, backoff * (0.75 + Math.random() / 2));
  backoff = Math.min(backoff * 2, 60000);
}

// the member's newer pages took this one's place: it takes it back when looked at again (never
// at once, or more pages than the server keeps for a member would take turns for ever)
function connectWhenVisible() {
  const resume = () => {
    if (document.visibilityState !== "visible") return;
    document.removeEventListener("visibilitychange", resume);
    connect();
  };
  document.addEventListener("visibilitychange", resume);
}

function connect() {
  const source = new EventSource("/api/v1/me/events");
  const on = (kind, handler) => source.addEventListener(kind, (event) => {
    backoff = 1000;
    handler(event.data ? JSON.parse(event.data) : {});
  });
  on("hello", (data) => {
    setState("open");
    setUnread(data.unread);
    emit("agora:refresh", {});
    if (down) emit("agora:live-missed", {});
    down = false;
  });
  on("notification", (data) => {
    const before = Number(bell ? bell.dataset.unread || 0 : 0);
    setUnread(data.unread);
    if (data.unread > before && bell) announce(bell.dataset.arrived);
    emit("agora:notification", data);
  });
  on("read", () => { refreshCount(); emit("agora:read", {}); });
  on("message", (data) => emit("agora:message", data));
  on("conversation", (data) => emit("agora:refresh", data));
  for (const kind of ["note", "participants", "handled"]) {
    on(kind, (data) => emit(`agora:${kind}`, data));
  }
  on("resync", () => {
    refreshCount();
    emit("agora:refresh", {});
    emit("agora:live-missed", {});
  });
  on("closed", (data) => {
    down = true;
    source.close();
    setState("ended");
    if (data.reason === "superseded") connectWhenVisible();
    else if (data.reason === "server_stopping") connectLater(); // another replica takes it
    // session_revoked: signed out, stay quiet
  });
  source.onerror = async () => {
    down = true; // even while the browser reconnects by itself: events are lost meanwhile
    if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    setState("retrying");
    // refused: an expired access cookie (401) or a full or restarting server (503). Only the
    // first needs a refresh, and a needless one rotates the session's token under other pages
    // of the site that may be presenting it at the same moment: ask a cheap route first, which
    // also gives the bell its count while there is no stream.
    const probe = await fetch(UNREAD_COUNT, { credentials: "same-origin" }).catch(() => null);
    if (probe && probe.status === 401) {
      const refreshed = await refreshSession();
      if (!refreshed.ok) return; // signed out: stay quiet
    } else if (probe && probe.ok) {
      const body = await probe.json().catch(() => null);
      if (body) setUnread(body.unread);
    }
    connectLater();
  };
}

// a page that learnt the count itself (the notifications page after marking read) says so
document.addEventListener("agora:unread", (event) => setUnread(event.detail.unread));

if (bell && "EventSource" in window) connect();
