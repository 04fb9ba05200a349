// Text typed into a form whose session ended meanwhile (signed out in another tab): the site
// answers the form's htmx request with a full-page sign-in (HX-Redirect to /login, page.py's
// `sign_in_first`), which would lose what was typed. Its textareas are kept in this tab's
// sessionStorage (the text only, never a token, for an hour at most) and put back once the same
// form is on screen again, after signing in: the member reads it over and sends it.

const KEY = "agora-unsent";
const KEPT_MS = 60 * 60 * 1000;

document.addEventListener("htmx:beforeOnLoad", (event) => {
  const target = event.detail.xhr.getResponseHeader("HX-Redirect") || "";
  const form = event.detail.elt && event.detail.elt.closest("form");
  if (!form || !target.startsWith("/login")) return;
  const texts = {};
  for (const field of form.querySelectorAll("textarea[name]")) {
    if (field.value.trim()) texts[field.name] = field.value;
  }
  if (Object.keys(texts).length) {
    sessionStorage.setItem(KEY, JSON.stringify({
      action: form.getAttribute("action"), texts, at: Date.now() }));
  }
});

// Signing out in this tab drops it: the text is only for whoever typed it.
document.addEventListener("submit", (event) => {
  if (event.target.getAttribute("action") === "/session/logout") sessionStorage.removeItem(KEY);
});

function kept() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (saved && Date.now() - saved.at < KEPT_MS) return saved;
  } catch { /* not ours: dropped below */ }
  sessionStorage.removeItem(KEY);
  return null;
}

function restore() {
  const saved = kept();
  const form = saved && [...document.forms].find(
    (candidate) => candidate.getAttribute("action") === saved.action);
  if (!form) return; // another page (the sign-in page itself): kept for the form's page
  sessionStorage.removeItem(KEY);
  let first = null;
  for (const [name, text] of Object.entries(saved.texts)) {
    const field = form.querySelector(`textarea[name="${CSS.escape(name)}"]`);
    if (field && !field.value.trim()) {
      field.value = text;
      first = first || field;
    }
  }
  if (!first) return;
  first.focus();
  // said beside the page's notice ("you are signed in"), in its live region
  const line = document.createElement("p");
  line.className = "notice notice-unsent";
  line.textContent = document.documentElement.lang === "fr"
    ? "Votre texte non envoyé est de retour dans le formulaire : relisez-le puis envoyez-le."
    : "Your unsent text is back in the form: read it over, then send it.";
  const region = document.getElementById("live-status");
  if (region) region.append(line);
}

restore();
