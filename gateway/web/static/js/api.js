// Calling the API from a page: same origin, the session's HttpOnly cookie, the CSRF token.
//
//   import { api } from "./api.js";
//   const response = await api("/api/v1/posts/42/vote", { method: "PUT" });
//
// Scripts never see a token: the browser sends the access cookie; state-changing calls carry
// the page's CSRF token (meta csrf-token) in X-CSRF-Token. An expired access token is refreshed
// once from the refresh cookie (POST /session/refresh) and the call is retried.

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function send(path, options) {
  const headers = new Headers(options.headers || {});
  headers.set("X-CSRF-Token", csrfToken());
  if (options.json !== undefined) {
    headers.set("Content-Type", "application/json");
  }
  return fetch(path, {
    ...options,
    headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
    credentials: "same-origin",
  });
}

// Refresh tokens rotate: a refresh that presents a token another refresh has just used looks
// like a replayed, stolen token, and identity revokes the whole session. So refreshes run one
// at a time across this site's tabs (Web Locks); each waiter then presents the token the one
// before it received.
export function refreshSession() {
  const refresh = () => fetch("/session/refresh", { method: "POST", credentials: "same-origin" });
  return navigator.locks ? navigator.locks.request("agora-session-refresh", refresh) : refresh();
}

export async function api(path, options = {}) {
  let response = await send(path, options);
  if (response.status === 401) {
    const refreshed = await refreshSession();
    if (refreshed.ok) {
      response = await send(path, options);
    } else {
      window.location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
    }
  }
  return response;
}

// Say something to screen-reader users (the page's polite live region).
export function announce(text) {
  const region = document.getElementById("live-status");
  if (!region) return;
  const line = document.createElement("p");
  line.className = "visually-hidden";
  line.textContent = text;
  region.replaceChildren(line);
}
