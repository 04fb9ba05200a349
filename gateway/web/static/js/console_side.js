// Staff's side of an open conversation follows live what colleagues do — a note, someone
// joining or leaving, « Marquer comme traitée » clicked elsewhere (live.js's agora:note,
// agora:participants, agora:handled: sent to its staff only, never its customer). The notes
// panel, the « Participants » line and the handled state are read again as the server renders
// them (names, dates, masking as on a reload) from the conversation's side alone
// (`/console/conversations/{id}/side`: no message read, no notification marked read, so the
// access audit says nobody read the messages), leaving alone what is being typed (the note's
// and the reply's boxes) and the panel's open or closed state. A tab out of sight reads
// nothing: it remembers it is behind and reads once when shown again. When the live stream comes
// back after being down, or the server dropped events for a slow page (live.js's
// agora:live-missed), what it missed is read once the same way.
import { announce } from "./api.js";

// one read at a time; events arriving meanwhile are served by one more read after it
function coalesced(read) {
  let running = null;
  let again = false;
  const run = async () => {
    if (running) { again = true; return running; }
    running = (async () => {
      do { again = false; await read(); } while (again);
    })().finally(() => { running = null; });
    return running;
  };
  return run;
}

// not `location`: after a refused form the page's URL is the form's (`.../notes`), no GET
async function rendered(id) {
  const response = await fetch(`/console/conversations/${encodeURIComponent(id)}/side`,
    { credentials: "same-origin" }).catch(() => null);
  if (!response || !response.ok) return null;
  return new DOMParser().parseFromString(await response.text(), "text/html");
}

// a colleague's note not shown before is said (role="status"): seen, and read by a screen
// reader, even with the panel closed or out of view. Never one's own (written in this page or
// another of one's own).
function sayNewNotes(shown, me) {
  const said = document.getElementById("notes-said");
  if (!said) return;
  const names = [...document.querySelectorAll("#note-list .staff-note")]
    .filter((note) => !shown.has(note.id) && note.dataset.author !== me)
    .map((note) => note.dataset.name);
  if (names.length) {
    said.textContent = [...new Set(names)]
      .map((name) => said.dataset.new.replace("{name}", () => name)).join(" ");
  }
}

function syncNotes(page, me) {
  const panel = document.getElementById("notes");
  const next = page.getElementById("notes");
  if (!panel || !next) return;
  const had = panel.querySelector(".staff-note") !== null;
  const shown = new Set([...panel.querySelectorAll(".staff-note")].map((note) => note.id));
  panel.querySelector("summary").replaceChildren(...next.querySelector("summary").childNodes);
  document.getElementById("note-list")
    .replaceChildren(...next.querySelector("#note-list").childNodes);
  if (!had && next.open) panel.open = true; // as the server: open once there are notes
  sayNewNotes(shown, me);
}

function syncParticipants(page, changes) {
  const list = document.getElementById("participant-list");
  const next = page.getElementById("participant-list");
  if (!list || !next) return;
  // who left is no longer on the new line: their names from the line shown
  const gone = changes.filter((change) => change.change === "left")
    .map((change) => list.querySelector(`[data-participant="${CSS.escape(change.participant_id)}"]`))
    .filter(Boolean);
  list.replaceChildren(...next.childNodes);
  const said = document.getElementById("participants-said");
  if (gone.length && said) {
    const text = document.getElementById("participants").dataset.left;
    said.textContent = gone.map((item) => text.replace("{name}", () => item.dataset.name))
      .join(" ");
  }
}

// the « marked handled » line and the button, as the server now has them; the button brought
// back is the page's own template (console_staff.js uses it for live messages too)
function syncHandled(page) {
  const line = document.getElementById("staff-handled");
  const nextLine = page.getElementById("staff-handled");
  line?.remove();
  if (nextLine) {
    document.getElementById("staff-messages").after(nextLine);
    if (!line) announce(nextLine.textContent);
  }
  const handle = document.getElementById("staff-handle");
  const waiting = page.getElementById("staff-side")?.dataset.waiting === "true";
  const template = document.getElementById("staff-handle-template");
  if (handle && !waiting) {
    const focused = handle.contains(document.activeElement);
    handle.remove();
    if (focused) document.getElementById("field-body")?.focus(); // not lost on the page's body
  } else if (!handle && waiting && template) {
    template.before(template.content.firstElementChild.cloneNode(true));
  }
}

export function followStaffSide(list) {
  const id = list.dataset.conversation;
  const pending = { notes: false, participants: [], handled: false, all: false };
  // the marks are taken before the read: one set while it runs is left for the next read,
  // which fetches a page that has it; a failed read puts its marks back for the next event
  const read = coalesced(async () => {
    const { notes, participants, handled, all } = pending;
    Object.assign(pending, { notes: false, participants: [], handled: false, all: false });
    const page = await rendered(id);
    if (!page) {
      pending.notes ||= notes;
      pending.participants.unshift(...participants);
      pending.handled ||= handled;
      pending.all ||= all;
      return;
    }
    if (notes || all) syncNotes(page, list.dataset.me);
    if (participants.length || all) syncParticipants(page, participants);
    if (handled || all) syncHandled(page);
  });
  // out of sight: marked behind, read once on being shown (the marks kept meanwhile)
  const sync = () => { if (document.visibilityState === "visible") read(); };
  document.addEventListener("visibilitychange", () => {
    if (pending.notes || pending.participants.length || pending.handled || pending.all) sync();
  });
  const on = (name, mark) => document.addEventListener(name, (event) => {
    const data = event.detail || {};
    if (data.conversation_id !== id) return;
    mark(data);
    sync();
  });
  on("agora:note", () => { pending.notes = true; });
  on("agora:participants", (data) => { pending.participants.push(data); });
  on("agora:handled", () => { pending.handled = true; });
  // the stream was down: any of it may have happened meanwhile, unheard
  document.addEventListener("agora:live-missed", () => { pending.all = true; sync(); });
}
