// A date and time as the server writes them (gateway/web/i18n.py format_date, with_time):
// Europe/Paris, "5 décembre 2026 à 07:37" / "1er décembre…" in French, "December 5, 2026,
// 7:37 AM" in English (a narrow no-break space before AM, as the server), so that a message shown live reads like the ones around it.
const ZONE = "Europe/Paris";

export function formatDateTime(iso, language = document.documentElement.lang) {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return "";
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: ZONE, year: "numeric", month: "numeric", day: "numeric",
    hour: "numeric", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(moment).map((part) => [part.type, part.value]));
  const french = language === "fr";
  const month = new Intl.DateTimeFormat(french ? "fr" : "en", { month: "long", timeZone: "UTC" })
    .format(new Date(Date.UTC(2000, Number(parts.month) - 1, 15)));
  const day = Number(parts.day);
  const hour = Number(parts.hour) % 24;
  if (french) {
    return `${day === 1 ? "1er" : day} ${month} ${parts.year} à ${String(hour).padStart(2, "0")}:${parts.minute}`;
  }
  return `${month} ${day}, ${parts.year}, ${hour % 12 || 12}:${parts.minute}\u202f${hour < 12 ? "AM" : "PM"}`;
}
