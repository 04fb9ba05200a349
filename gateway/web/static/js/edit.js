// A post's or a reply's edit page (templates/posts/edit.html), enhanced like the compose page with
// the pieces they share (writing.js): the confidential-data warning while typing (a post's title
// and text read together, as the server reads them) and the preview in place.
import { previewInPlace, warnWhileTyping } from "./writing.js";

const form = document.getElementById("edit-form");
if (form) {
  const body = form.querySelector("textarea[name=body]");
  const title = form.querySelector("input[name=title]");
  warnWhileTyping(form, title ? [title, body] : [body],
    form.querySelector("[data-confidential-status]"), "edit-confidential-warning");
  previewInPlace(form, body);
}
