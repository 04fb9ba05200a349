// The advisors' console, progressively enhanced: new messages arrive live (the member's own
// event stream, GET /api/v1/me/events, opened by live.js) in the open conversation and in the inbox, and a reply is
// sent through the API without reloading. Without JavaScript the pages and the reply form work
// as they are (server-rendered; reload to see new messages).
import { api, announce } from "./api.js";

const QUEUE_POLL_MS = 30000; // the staff queue is not announced on the stream: poll it gently

// The stream itself is the header's (live.js): it re-emits its frames as DOM events.
function listen(handlers) {
  for (const [name, handle] of Object.entries(handlers)) {
    document.addEventListener(name, (event) => handle(event.detail || {}));
  }
}

// -- one conversation -------------------------------------------------------------------------

function conversationPage(list) {
  const id = list.dataset.conversation;
  const me = list.dataset.me;
  const texts = document.getElementById("staff-texts").dataset;
  const template = document.getElementById("staff-message-template");
  const form = document.getElementById("staff-reply");

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
      // as the server writes dates: Europe/Paris, the page's language
      time.textContent = new Intl.DateTimeFormat(document.documentElement.lang,
        { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" })
        .format(new Date(message.created_at));
    }
    item.querySelector(".staff-message-body").textContent = message.body || "";
    list.append(item);
    return !mine;
  };

  const refresh = async () => {
    const response = await api(`/api/v1/conversations/${encodeURIComponent(id)}?limit=100`);
    if (!response.ok) return;
    const conversation = await response.json();
    list.dataset.member = conversation.member_id || "";
    const arrived = conversation.messages.filter(show);
    if (arrived.length) announce(arrived[arrived.length - 1].body || "");
  };

  listen({
    "agora:refresh": () => { list.dataset.live = "on"; refresh(); }, // (re)connected
    "agora:message": (data) => { if (data.conversation_id === id) refresh(); },
  });

  // a closed conversation (its member erased their account) has no reply form
  form?.addEventListener("submit", async (event) => {
    const body = form.elements.body.value.trim();
    if (!body) return; // the server answers the empty form with its error
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await api(`/api/v1/conversations/${encodeURIComponent(id)}/messages`,
        { method: "POST", json: { body } });
      if (!response.ok) throw new Error(String(response.status));
      show(await response.json());
      form.elements.body.value = "";
    } catch {
      announce(texts.error);
    } finally {
      button.disabled = false;
      form.elements.body.focus();
    }
  });
}

// -- the inbox --------------------------------------------------------------------------------

function inboxPage(inbox) {
  const fresh = new Set();
  const reload = async () => {
    const response = await fetch(location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const next = page.getElementById("staff-inbox");
    if (!next) return;
    inbox.replaceChildren(...next.childNodes);
    for (const id of fresh) {
      const row = inbox.querySelector(`[data-conversation="${CSS.escape(id)}"]`);
      row?.classList.add("staff-row-new");
      row?.querySelector(".badge-new")?.removeAttribute("hidden");
    }
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
}

const messages = document.getElementById("staff-messages");
if (messages) conversationPage(messages);
const inbox = document.querySelector("[data-live=inbox]");
if (inbox) inboxPage(inbox);
