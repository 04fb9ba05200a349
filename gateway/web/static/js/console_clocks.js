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

export function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

export function formatWait(seconds, formats) {
  const whole = Math.max(0, Math.floor(seconds));
  if (whole < 60) return fill(formats.seconds, { count: whole });
  if (whole < 3600) return fill(formats.minutes, { count: Math.floor(whole / 60) });
  if (whole < 48 * 3600) {
    const hours = Math.floor(whole / 3600);
    // a whole number of hours as the language says it (« 12 h 00 », "12 h"), as the server's
    if (whole % 3600 < 60 && formats.hoursWhole) return fill(formats.hoursWhole, { hours });
    const minutes = String(Math.floor((whole % 3600) / 60)).padStart(2, "0");
    return fill(formats.hours, { hours, minutes });
  }
  return fill(formats.days, { count: Math.floor(whole / 86400) });
}

// What a page of clocks says of them (its data-* attributes): the server's now (`now()`), the
// duration formats and the urgency labels.
export function clockTexts(dataset) {
  const serverNow = Date.parse(dataset.now);
  const offset = Number.isNaN(serverNow) ? 0 : serverNow - Date.now();
  return {
    now: () => Date.now() + offset,
    formats: { seconds: dataset.formatSeconds, minutes: dataset.formatMinutes,
      hours: dataset.formatHours, hoursWhole: dataset.formatHoursWhole,
      days: dataset.formatDays },
    labels: { past: dataset.labelPast, close: dataset.labelClose },
  };
}

// A clock's urgency shown: its colour class, and its label's words (in `words`) unless on time.
export function showLevel(element, label, words, state, labels) {
  element.classList.remove("urgency-ok", "urgency-close", "urgency-past");
  element.classList.add(`urgency-${state}`);
  label.hidden = state === "ok";
  if (state !== "ok") words.textContent = labels[state];
}

export function level(waited, target, now, due) {
  if (due !== null && now >= due) return "past";
  if (target && waited !== null && waited >= CLOSE_TO_TARGET * target) return "close";
  return "ok";
}

function start() {
  const board = document.getElementById("clock-boards");
  if (!board) return;
  const { now: serverTime, formats, labels } = clockTexts(board.dataset);
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
    const now = serverTime();
    for (const clock of clocks) {
      const seconds = clock.business ? null : (now - clock.started) / 1000;
      if (seconds !== null) clock.waited.textContent = formatWait(seconds, formats);
      const state = level(seconds, clock.target, now, clock.due);
      if (clock.business && state === "ok") continue; // the server's level stands
      showLevel(clock.element, clock.label, clock.label, state, labels);
    }
    board.dataset.ticking = "on";
  };
  tick();
  setInterval(tick, TICK_MS);
}

start();
