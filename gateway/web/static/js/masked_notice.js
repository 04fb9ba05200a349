// The notice naming what the service masked in the message just sent (the API's `masked`:
// detector kinds). Its texts are the page's, composed by the server in the reader's language
// (gateway/web/masked_notice.py, in the notice's data-texts): the kinds' groups, in the
// server's order, pick one ("card,password"; "" the generic one). No wording here.

function texts(notice) {
  try {
    return JSON.parse(notice.dataset.texts || "{}");
  } catch {
    return {};
  }
}

// The groups of `kinds` ("card", "code", "password"), each once, in the server's order: what a
// page reached without the script is told (`?masked=card,code`, as the server redirects).
export function maskedGroups(notice, kinds) {
  const { groups = [], kinds: kindGroups = {} } = notice ? texts(notice) : {};
  const found = new Set((kinds || []).map((kind) => kindGroups[kind]));
  return groups.filter((group) => found.has(group));
}

// The same told to a page reached by a redirect, without the script: `?masked=card,code` as
// the server redirects ("?masked=1" for kinds it does not name), "" when nothing was masked.
export function maskedQuery(notice, kinds) {
  if (!kinds?.length) return "";
  return `?masked=${maskedGroups(notice, kinds).join(",") || "1"}`;
}

// Show the notice after a send that masked something (`kinds` not empty), naming it, or hide
// it (nothing masked: it stays until the author's next message); its text, to announce, or "".
export function showMasked(notice, kinds) {
  if (!notice) return "";
  const masked = (kinds || []).length > 0;
  if (masked) {
    const all = texts(notice).texts || {};
    const text = all[maskedGroups(notice, kinds).join(",")] ?? all[""];
    if (text) notice.textContent = text;
  }
  notice.hidden = !masked;
  return masked ? notice.textContent : "";
}
