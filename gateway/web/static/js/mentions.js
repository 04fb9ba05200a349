// "@" in a reply suggests whom to mention: the thread's authors on the page (the page's
// #mention-candidates, names the page shows anyway — never a search of every member). The
// textarea stays the control (a multi-line field's autocomplete: the list is announced through
// aria-activedescendant and a polite count, focus never leaves the text): up and down choose,
// Enter or Tab inserts "@Name " (members.mention_of: it reads back as the member's handle),
// Escape closes. A tap on a suggestion inserts it too. Without this script, members type the
// mention themselves: it works the same.
import { announce } from "./api.js";

const SHOWN = 6;
// "@" then what has been typed of a name, right before the caret ("merci @zo|")
const TYPING = /(?:^|[^\p{L}\p{N}_@])@([\p{L}\p{N}._-]{0,40})$/u;

// the name as a handle compares (services/shared/members.py `handle`): accents, case, spaces
// and punctuation ignored; letters of any alphabet kept, so "@И" matches no Latin name
const folded = (text) => text.normalize("NFKD").replace(/[^\p{L}\p{N}]/gu, "").toLowerCase();

/** The people matching `typed`: a name starting with it first, then one of whose words does. */
function matching(people, typed) {
  const wanted = folded(typed);
  const starts = people.filter((person) => person.key.startsWith(wanted));
  const words = people.filter((person) => !starts.includes(person) &&
    person.words.some((word) => word.startsWith(wanted)));
  return [...starts, ...words].slice(0, SHOWN);
}

export function offerMentions(textarea, source) {
  const people = JSON.parse(source.textContent || "[]").map((person) => ({
    ...person, key: folded(person.name), words: person.name.split(/\s+/).map(folded),
  }));
  if (!people.length || textarea.dataset.mentions) return;
  textarea.dataset.mentions = "on";
  const list = document.createElement("ul");
  list.id = `${textarea.id}-mentions`;
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", source.dataset.label);
  list.hidden = true;
  textarea.after(list);
  // a textarea keeps its textbox role (no combobox, nor aria-expanded, on it in ARIA in
  // HTML): what it offers is said by aria-autocomplete, the active option and the announcement
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", list.id);
  let shown = [];
  let active = -1;
  let from = -1;
  let said = "";

  const close = () => {
    if (list.hidden) return;
    list.hidden = true;
    list.replaceChildren();
    textarea.removeAttribute("aria-activedescendant");
    shown = [];
    active = -1;
    said = "";
  };
  const highlight = (index) => {
    active = index;
    [...list.children].forEach((option, at) =>
      option.setAttribute("aria-selected", String(at === index)));
    const option = list.children[index];
    textarea.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  };
  const insert = (index) => {
    const caret = textarea.selectionStart;
    textarea.setRangeText(`@${shown[index].mention} `, from, caret, "end");
    close();
    textarea.focus();
    // what else listens to the text (the confidential-data warning, the unsent draft)
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const update = () => {
    const caret = textarea.selectionStart;
    const typed = caret === textarea.selectionEnd &&
      TYPING.exec(textarea.value.slice(0, caret));
    shown = typed ? matching(people, typed[1]) : [];
    if (!shown.length) {
      close();
      return;
    }
    from = caret - typed[1].length - 1;
    list.replaceChildren(...shown.map((person, index) => {
      const option = document.createElement("li");
      option.id = `${list.id}-${index}`;
      option.setAttribute("role", "option");
      option.textContent = person.name;
      // the text keeps focus (and a phone its keyboard) when a suggestion is pressed
      option.addEventListener("pointerdown", (event) => event.preventDefault());
      option.addEventListener("click", () => insert(index));
      return option;
    }));
    list.hidden = false;
    highlight(0);
    const count = shown.length === 1 ? source.dataset.one :
      source.dataset.other.replace("{count}", String(shown.length));
    if (count !== said) announce(count);
    said = count;
  };

  // the text's own "input" above is dispatched after `close`: it finds no "@" being typed
  textarea.addEventListener("input", update);
  textarea.addEventListener("click", update); // the caret moved into or out of a mention
  textarea.addEventListener("blur", close);
  textarea.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + shown.length) % shown.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey &&
               active >= 0) {
      insert(active);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  });
}
