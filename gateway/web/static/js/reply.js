// A thread's reply form (templates/posts/_reply_form.html), enhanced like the compose page with
// the pieces they share (writing.js): the confidential-data warning while typing and the preview
// in place; "@" suggests the thread's authors (mentions.js). htmx swaps the form after each send
// (emptied, or with its error): the form it brings is enhanced in turn (htmx:load), each once.
import { offerMentions } from "./mentions.js";
import { clearErrorsWhenChanged, previewInPlace, warnWhileTyping } from "./writing.js";

function enhance(form) {
  if (form.dataset.enhanced) return;
  form.dataset.enhanced = "true";
  const body = form.querySelector("textarea[name=body]");
  warnWhileTyping(form, [body], form.querySelector("[data-confidential-status]"),
    "reply-confidential-warning");
  previewInPlace(form, body);
  clearErrorsWhenChanged(form);
  const candidates = document.getElementById("mention-candidates");
  if (candidates) offerMentions(body, candidates);
}

function enhanceWithin(root) {
  if (root.matches?.("form.reply-form")) enhance(root);
  root.querySelectorAll?.("form.reply-form").forEach(enhance);
}

enhanceWithin(document);
document.addEventListener("htmx:load", (event) => enhanceWithin(event.target));
