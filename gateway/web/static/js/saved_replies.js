// Staff's saved replies (templates/console/_saved_replies.html): « Insérer » puts the saved text
// at the cursor in the reply box (replacing what is selected), instead of following its link
// `?reply=<id>`, which pre-fills the box without JavaScript but would lose a draft. An `input`
// event follows, as typing would: the box's own scripts (draft, warnings, height) see the text.
const box = () => document.getElementById("field-body");

/** `text` into `textarea` at its cursor (its selection replaced), the cursor after it. */
export function insertAtCursor(textarea, text) {
  const start = textarea.selectionStart ?? textarea.value.length;
  const end = textarea.selectionEnd ?? start;
  textarea.setRangeText(text, start, end, "end");
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
}

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("[data-saved-reply-insert]");
  const textarea = box();
  if (!link || !textarea || event.button !== 0 || event.metaKey || event.ctrlKey
      || event.shiftKey || event.altKey) return; // a new tab: the link's own way
  event.preventDefault();
  insertAtCursor(textarea, link.dataset.body ?? "");
  textarea.focus();
  const status = document.querySelector("[data-saved-reply-status]");
  if (status) status.textContent = status.dataset.text; // told to screen readers
});
