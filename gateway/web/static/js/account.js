// Signing up, then signing in: the sign-in page that follows a sign-up (its "registered" notice,
// `data-after-sign-up` on its form) comes with the address just typed, so that a member on a
// phone does not type it twice. The address stays in this tab (sessionStorage, ten minutes at
// most, read once): never in a URL (logs, history, Referer) nor a cookie the server would see,
// and sign-up answers every address alike (no session, the same redirect and notice).

const KEY = "agora-signed-up";
const KEPT_MS = 10 * 60 * 1000;

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.getAttribute("action") !== "/register") return;
  const email = form.querySelector("input[name=email]");
  if (email && email.value.trim()) {
    sessionStorage.setItem(KEY, JSON.stringify({ email: email.value.trim(), at: Date.now() }));
  }
});

function signedUpAddress() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch { /* not ours: dropped below */ }
  sessionStorage.removeItem(KEY);
  return saved && typeof saved.email === "string" && Date.now() - saved.at < KEPT_MS
    ? saved.email : null;
}

const login = document.querySelector("form[action='/login']");
if (login) {
  const address = signedUpAddress();
  const email = login.querySelector("input[name=email]");
  if (address && email && !email.value && login.hasAttribute("data-after-sign-up")) {
    email.value = address;
  }
}
