// The live channel (GET /api/v1/me/events): keeps the header's bell current without a reload
// and tells the page's own scripts what changed, as DOM events on `document`:
//   agora:refresh       (re)connected or events were dropped: re-read what the page shows
//   agora:notification  {unread, new: [{id, type}]}
//   agora:message       {conversation_id, message_id, author_id}
//   agora:read          notifications were read elsewhere
// and listens to agora:unread {unread} from page scripts that learnt the count themselves.
// The stream carries references and counts only; pages read content through the API.
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

let backoff = 1000;
function connect() {
  const source = new EventSource("/api/v1/me/events");
  const on = (kind, handler) => source.addEventListener(kind, (event) => {
    backoff = 1000;
    handler(event.data ? JSON.parse(event.data) : {});
  });
  on("hello", (data) => { setUnread(data.unread); emit("agora:refresh", {}); });
  on("notification", (data) => {
    const before = Number(bell ? bell.dataset.unread || 0 : 0);
    setUnread(data.unread);
    if (data.unread > before && bell) announce(bell.dataset.arrived);
    emit("agora:notification", data);
  });
  on("read", () => { refreshCount(); emit("agora:read", {}); });
  on("message", (data) => emit("agora:message", data));
  on("conversation", (data) => emit("agora:refresh", data));
  on("resync", () => { refreshCount(); emit("agora:refresh", {}); });
  on("closed", () => source.close());
  source.onerror = async () => {
    if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    // refused: an expired access cookie (401) or a full or restarting server (503). Only the
    // first needs a refresh, and a needless one rotates the session's token under other pages
    // of the site that may be presenting it at the same moment: ask a cheap route first.
    const probe = await fetch(UNREAD_COUNT, { credentials: "same-origin" }).catch(() => null);
    if (probe && probe.status === 401) {
      const refreshed = await refreshSession();
      if (!refreshed.ok) return; // signed out: stay quiet
    }
    window.setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 60000);
  };
}

// a page that learnt the count itself (the notifications page after marking read) says so
document.addEventListener("agora:unread", (event) => setUnread(event.detail.unread));

if (bell && "EventSource" in window) connect();
