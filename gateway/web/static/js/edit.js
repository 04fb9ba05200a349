// A post's or a reply's edit page (templates/posts/edit.html), enhanced like the compose page with
// the pieces they share (writing.js): the confidential-data warning while typing (a post's title
// and text read together, as the server reads them; its tags as moderation reads them) and the
// preview in place.
import { tagsText, confidentialKinds } from "./confidential.js";
import { debounce, previewInPlace, warnWhileTyping, warningIn } from "./writing.js";

const form = document.getElementById("edit-form");
if (form) {
  const body = form.querySelector("textarea[name=body]");
  const title = form.querySelector("input[name=title]");
  warnWhileTyping(form, title ? [title, body] : [body],
    form.querySelector("[data-confidential-status]"), "edit-confidential-warning");
  previewInPlace(form, body);
  const tags = form.querySelector("input[name=tags]");
  if (tags) {
    const warnTags = warningIn(form, document.getElementById("edit-tags-status"),
      "edit-tags-warning");
    const check = () => warnTags(confidentialKinds(tagsText(tags.value)));
    tags.addEventListener("input", debounce(check, 150));
    check();
  }
}
