// The writing aids the compose page (compose.js) and a thread's reply form (reply.js) share, on
// the pieces of templates/posts/_writing.html: a warning while typing when the text looks like
// confidential data (checked in the page, with the server detector's rules: confidential.js;
// nothing leaves the page while typing), and the Markdown preview without leaving the page
// (POST /api/v1/previews). Without this script the Preview button posts the form and the page
// comes back with the preview and the warning.
import { api, announce } from "./api.js";
import { confidentialKinds } from "./confidential.js";

export function debounce(action, delay) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => action(...args), delay);
  };
}

/** A function showing in `status` the warning for the kinds it is given (the form's
 * data-confidential-message, naming them in the reader's language), said again only when
 * they change; when they are gone, the region empties and screen readers hear so. */
export function warningIn(form, status, id) {
  const labels = JSON.parse(form.dataset.kindLabels || "{}");
  let warned = "";
  return (kinds) => {
    const key = kinds.join(",");
    if (key === warned) return;
    warned = key;
    if (kinds.length) {
      const line = document.createElement("p");
      line.className = "callout callout-warning";
      line.id = id;
      line.textContent = form.dataset.confidentialMessage
        .replace("{kinds}", kinds.map((kind) => labels[kind] || kind).join(", "));
      status.replaceChildren(line);
    } else {
      status.replaceChildren();
      announce(form.dataset.confidentialGone);
    }
  };
}

/** Warn in `status` while any of `fields` is typed in (their texts read together, as the
 * server reads a post's title and body), and once now for a text already there. */
export function warnWhileTyping(form, fields, status, id) {
  const warn = warningIn(form, status, id);
  const check = () => warn(confidentialKinds(fields.map((field) => field.value).join("\n")));
  const checkSoon = debounce(check, 150);
  for (const field of fields) field.addEventListener("input", checkSoon);
  check();
  return check;
}

/** The form's Preview button renders `body` in the section its aria-controls names, in place;
 * the focus goes to the preview's heading so that it is read next (and scrolled to). */
export function previewInPlace(form, body) {
  const button = form.querySelector("[data-preview-button]");
  const section = document.getElementById(button.getAttribute("aria-controls"));
  const output = section.querySelector("[data-preview-body]");
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    section.hidden = false;
    if (!body.value.trim()) {
      output.textContent = form.dataset.previewEmpty;
    } else {
      const response = await api("/api/v1/previews", { method: "POST", json: { body: body.value } })
        .catch(() => null);
      if (response && response.ok) {
        // HTML from the posts' renderer: every character of the text escaped before any tag.
        output.innerHTML = (await response.json()).body_html;
      } else {
        output.textContent = form.dataset.previewFailed;
      }
    }
    section.querySelector("h2").focus?.();
  });
}

/** Once the member changes a field the server refused, its error goes: the message hidden,
 * the field no longer marked invalid nor described by it. The server checks it again on
 * sending (and without this script the error stays until then). */
export function clearErrorsWhenChanged(form) {
  const clear = (event) => {
    const field = event.target.closest?.(".field-invalid");
    if (!field || !form.contains(field)) return;
    field.classList.remove("field-invalid");
    const errors = [...field.querySelectorAll(".field-error")];
    errors.forEach((error) => { error.hidden = true; });
    const ids = new Set(errors.map((error) => error.id));
    for (const element of [field, ...field.querySelectorAll("[aria-invalid], [aria-describedby]")]) {
      element.removeAttribute("aria-invalid");
      const described = element.getAttribute("aria-describedby");
      if (described === null) continue;
      const kept = described.split(/\s+/).filter((id) => id && !ids.has(id));
      if (kept.length) element.setAttribute("aria-describedby", kept.join(" "));
      else element.removeAttribute("aria-describedby");
    }
  };
  form.addEventListener("input", clear);
  form.addEventListener("change", clear);
}
