// The response-time board's live clocks: every waiting clock ticks in the browser from the
// server's timestamps (when the member's wait started, when it falls due), without a reload.
//
// The page is right without this module (the waits as the server counted them when it
// answered). With it, a clock counted continuously shows now − start every second; a clock
// counted in opening hours keeps the server's figure (the browser does not know the bank's
// calendar) but still turns "past target" at its due time, which the server computed with the
// calendar. The server's clock is the reference: the offset from the browser's is measured once.

const TICK_MS = 1000;
const CLOSE_TO_TARGET = 0.75; // as the server's urgency(): three quarters of the target

export function formatWait(seconds, formats) {
  const whole = Math.max(0, Math.floor(seconds));
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
  if (whole < 60) return fill(formats.seconds, { count: whole });
  if (whole < 3600) return fill(formats.minutes, { count: Math.floor(whole / 60) });
  if (whole < 48 * 3600) {
    const minutes = String(Math.floor((whole % 3600) / 60)).padStart(2, "0");
    return fill(formats.hours, { hours: Math.floor(whole / 3600), minutes });
  }
  return fill(formats.days, { count: Math.floor(whole / 86400) });
}

export function level(waited, target, now, due) {
  if (due !== null && now >= due) return "past";
  if (target && waited !== null && waited >= CLOSE_TO_TARGET * target) return "close";
  return "ok";
}

function start() {
  const board = document.getElementById("clock-boards");
  if (!board) return;
  const serverNow = Date.parse(board.dataset.now);
  const offset = Number.isNaN(serverNow) ? 0 : serverNow - Date.now();
  const formats = {
    seconds: board.dataset.formatSeconds, minutes: board.dataset.formatMinutes,
    hours: board.dataset.formatHours, days: board.dataset.formatDays,
  };
  const labels = { past: board.dataset.labelPast, close: board.dataset.labelClose };
  const clocks = [...board.querySelectorAll("[data-clock]")].map((element) => ({
    element,
    started: Date.parse(element.dataset.started),
    due: element.dataset.due ? Date.parse(element.dataset.due) : null,
    business: element.dataset.business === "true",
    target: Number(element.dataset.target) || 0,
    waited: element.querySelector(".clock-waited"),
    label: element.querySelector(".clock-level"),
  }));
  const tick = () => {
    const now = Date.now() + offset;
    for (const clock of clocks) {
      const seconds = clock.business ? null : (now - clock.started) / 1000;
      if (seconds !== null) clock.waited.textContent = formatWait(seconds, formats);
      const state = level(seconds, clock.target, now, clock.due);
      if (clock.business && state === "ok") continue; // the server's level stands
      clock.element.classList.remove("urgency-ok", "urgency-close", "urgency-past");
      clock.element.classList.add(`urgency-${state}`);
      clock.label.hidden = state === "ok";
      if (state !== "ok") clock.label.textContent = labels[state];
    }
    board.dataset.ticking = "on";
  };
  tick();
  setInterval(tick, TICK_MS);
}

start();
