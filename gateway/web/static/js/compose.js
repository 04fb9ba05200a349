// The compose screen, enhanced: a warning while typing when the text looks like confidential data
// (checked here, in the page, with the server detector's rules: confidential.js), the Markdown
// preview without leaving the page (POST /api/v1/previews) — both shared with the thread's
// reply form (writing.js) — similar questions while typing a
// question's title (GET /api/v1/posts/similar), tag suggestions (GET /api/v1/tags?prefix=), and
// a heading (and tab title, and address) that follow the kind chosen. Without this script the form
// still works: the "Preview" button posts it and the page comes back with the preview, and
// /write?kind=idea says "Propose an idea" from the server.
import { api } from "./api.js";
import { confidentialKinds, tagsText } from "./confidential.js";
import {
  clearErrorsWhenChanged, debounce, previewInPlace, warnWhileTyping, warningIn,
} from "./writing.js";

const form = document.getElementById("compose-form");

async function getJson(path) {
  try {
    const response = await api(path);
    return response.ok ? await response.json() : null;
  } catch {
    return null; // offline or an endpoint this gateway does not serve yet: no suggestions
  }
}

if (form) {
  const title = form.querySelector("#field-title");
  const body = form.querySelector("#field-body");
  const tags = form.querySelector("#field-tags");

  // -- the confidential-data warning under the text and under the tags: moderation reads the
  // tags as typed, a number split over several tags holds the post like one in its text
  warnWhileTyping(form, [title, body], document.getElementById("confidential-status"),
    "confidential-warning");
  const warnTags = warningIn(form, document.getElementById("confidential-tags-status"),
    "confidential-tags-warning");
  const tagsHold = () => confidentialKinds(tagsText(tags.value));
  tags.addEventListener("input", debounce(() => warnTags(tagsHold()), 150));
  warnTags(tagsHold());

  // -- the preview, in place
  previewInPlace(form, body);

  // -- a refused field's error goes once the member changes the field
  clearErrorsWhenChanged(form);

  // -- similar questions while typing a question's title
  const similar = document.getElementById("similar");
  const similarList = document.getElementById("similar-list");
  const kind = () => form.querySelector("input[name=kind]:checked")?.value;
  const showSimilar = debounce(async () => {
    const text = title.value.trim();
    if (kind() !== "question" || text.length < 4) {
      similar.hidden = true;
      return;
    }
    const page = await getJson(`/api/v1/posts/similar?title=${encodeURIComponent(text)}&kind=question&limit=5`);
    const items = (page && page.items) || [];
    similarList.replaceChildren(...items.map((post) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `/posts/${post.id}`;
      link.textContent = post.title;
      item.append(link);
      return item;
    }));
    similar.hidden = items.length === 0;
  }, 300);
  title.addEventListener("input", showSimilar);
  if (title.value) showSimilar(); // a title given by the address (a search's "ask it")

  // -- the heading says what is being written; the address too, so that a reload keeps it
  const heading = document.getElementById("compose-heading");
  const titles = JSON.parse(form.dataset.kindTitles || "{}");
  const followKind = () => {
    const chosen = kind();
    if (!titles[chosen] || heading.textContent === titles[chosen]) return;
    heading.textContent = titles[chosen];
    document.title = `${titles[chosen]}${form.dataset.titleSuffix || ""}`;
    const address = new URL(window.location.href);
    address.searchParams.set("kind", chosen);
    window.history.replaceState(window.history.state, "", address);
  };
  followKind(); // a reload keeps the radio checked before: say it
  form.addEventListener("change", (event) => {
    if (event.target.name !== "kind") return;
    followKind();
    showSimilar();
  });

  // -- tag suggestions (a datalist: the field stays free text)
  const option = (value, label) => {
    const element = document.createElement("option");
    element.value = value;
    if (label) element.label = label;
    return element;
  };
  tags.addEventListener("input", debounce(async () => {
    const words = tags.value.split(/[\s,]+/);
    const prefix = words[words.length - 1];
    // no tag has more than 4 digits, and tags holding confidential data ask the server nothing
    if (!prefix || (prefix.match(/[0-9]/g) || []).length > 4 || tagsHold().length) return;
    const result = await getJson(`/api/v1/tags?prefix=${encodeURIComponent(prefix)}`);
    const found = (result && result.items) || [];
    const before = words.slice(0, -1).join(" ");
    // the tag as written (accents kept: "épargne"); a stored tag has no space to split it
    document.getElementById("tag-options").replaceChildren(...found.map((tag) =>
      option(`${before ? `${before} ` : ""}${tag.tag}`)));
  }, 200));
}
