// Dates in the user's time zone: calendar days as "YYYY-MM-DD" keys, ranges for filters, and the
// friendly labels of due dates ("Today 09:00", "Tomorrow", "Fri", "Dec 1").

const browserZone = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
})();

let zone = browserZone;

/** The browser's IANA time zone. */
export function browserTimeZone() {
  return browserZone;
}

/** Uses `name` (the account's zone) for every date shown or computed; falls back to the browser's. */
export function setTimeZone(name) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    zone = name;
  } catch {
    zone = browserZone;
  }
}

export function timeZone() {
  return zone;
}

const partsFormatters = new Map();
function partsFormatter(tz) {
  let formatter = partsFormatters.get(tz);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "short",
    });
    partsFormatters.set(tz, formatter);
  }
  return formatter;
}

const WEEKDAYS = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** Wall-clock parts of an instant in the zone: {year, month, day, hour, minute, second, weekday (1 = Monday)}. */
export function partsOf(date, tz = zone) {
  const out = {};
  for (const part of partsFormatter(tz).formatToParts(date)) {
    if (part.type === "weekday") out.weekday = WEEKDAYS[part.value];
    else if (part.type !== "literal") out[part.type] = Number(part.value);
  }
  if (out.hour === 24) out.hour = 0;
  return out;
}

const pad = (n) => String(n).padStart(2, "0");

/** The calendar day of an instant in the zone, as "YYYY-MM-DD". */
export function dayKey(date, tz = zone) {
  const p = partsOf(date, tz);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** "HH:MM" of an instant in the zone. */
export function timeKey(date, tz = zone) {
  const p = partsOf(date, tz);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

export function todayKey() {
  return dayKey(new Date());
}

/** Calendar arithmetic on day keys (no time zones involved). */
export function addDays(key, days) {
  const [y, m, d] = key.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** Days from `a` to `b` (day keys). */
export function daysBetween(a, b) {
  const [y1, m1, d1] = a.split("-").map(Number);
  const [y2, m2, d2] = b.split("-").map(Number);
  return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / 86400000);
}

/** ISO weekday of a day key, 1 = Monday … 7 = Sunday. */
export function weekdayOf(key) {
  const [y, m, d] = key.split("-").map(Number);
  return ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1;
}

function offsetMinutes(instant, tz) {
  const p = partsOf(new Date(instant), tz);
  const asUTC = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUTC - Math.floor(instant / 1000) * 1000) / 60000);
}

/** The instant of a wall-clock time ("YYYY-MM-DD", "HH:MM") in the zone. */
export function zonedInstant(key, time = "00:00", tz = zone) {
  const [y, m, d] = key.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let guess = wall - offsetMinutes(wall, tz) * 60000;
  // A second pass settles the offset on the other side of a daylight-saving change.
  guess = wall - offsetMinutes(guess, tz) * 60000;
  return new Date(guess);
}

/** RFC 3339 in UTC without milliseconds, e.g. 2026-12-01T08:00:00Z. */
export function rfc3339(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The start of the ISO week (Monday) holding `key`. */
export function weekStart(key) {
  return addDays(key, 1 - weekdayOf(key));
}

/** The list parameters of a due filter: {due_after, due_before} for today, week or upcoming; {overdue}, {has_due: false} ("none") or {repeating} ("repeating"). */
export function dueRange(kind) {
  const today = todayKey();
  const start = (key) => rfc3339(zonedInstant(key));
  switch (kind) {
    case "today":
      return { due_after: start(today), due_before: start(addDays(today, 1)) };
    case "week": {
      const monday = weekStart(today);
      return { due_after: start(monday), due_before: start(addDays(monday, 7)) };
    }
    case "upcoming":
      return { due_after: start(today) };
    case "overdue":
      return { overdue: "true" };
    case "none":
      return { has_due: "false" };
    case "repeating":
      return { repeating: "true" };
    default:
      return {};
  }
}

/** Month names, short and long, January first. */
export const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
export const LONG_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAY_NAMES = ["", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** "Dec 1" or "Dec 1, 2027" (other years). */
export function shortDate(key) {
  const [y, m, d] = key.split("-").map(Number);
  const thisYear = Number(todayKey().slice(0, 4));
  return `${MONTHS[m - 1]} ${d}${y !== thisYear ? ", " + y : ""}`;
}

/** "Monday, December 1" for headings and titles. */
export function longDate(key) {
  const [y, m, d] = key.split("-").map(Number);
  const thisYear = Number(todayKey().slice(0, 4));
  return `${DAY_NAMES[weekdayOf(key)]}, ${LONG_MONTHS[m - 1]} ${d}${y !== thisYear ? ", " + y : ""}`;
}

/** A local time in the user's locale, e.g. "09:00" or "9:00 AM". */
export function formatTime(date) {
  return new Intl.DateTimeFormat(undefined, { timeZone: zone, hour: "numeric", minute: "2-digit" }).format(date);
}

const clockFormatter = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", hour: "numeric", minute: "2-digit" });

/** A time of day (hour 0–23, minute) as `formatTime` writes times: "8:30 PM" in en-US, "20:30" in en-GB. */
export function formatClock(hour, minute = 0) {
  return clockFormatter.format(Date.UTC(2000, 0, 1, hour, minute));
}

/** Server-written text with its 24-hour times ("every day at 8:00 and 20:00", "Due today 11:36") in the times of
 * `formatClock`; a time that already says AM or PM stays as it is. */
export function localTimes(text) {
  return String(text).replace(/\b([01]?\d|2[0-3]):([0-5]\d)\b(?!\s*[AaPp]\.?\s?[Mm]\b)/g, (_, hour, minute) => formatClock(Number(hour), Number(minute)));
}

/** A day label relative to today: Today, Tomorrow, Yesterday, a weekday within the week, else a date. */
export function relativeDay(key) {
  const diff = daysBetween(todayKey(), key);
  if (diff === 0) return "Today";
  if (diff === 1) return "Tomorrow";
  if (diff === -1) return "Yesterday";
  if (diff > 1 && diff < 7) return DAY_NAMES[weekdayOf(key)];
  return shortDate(key);
}

/** The label of a task's due date, and how it relates to today: {text, key, state: overdue|today|soon|later}. */
export function describeDue(task) {
  if (!task.due_at) return null;
  const date = new Date(task.due_at);
  const key = dayKey(date);
  let text = relativeDay(key);
  if (!task.all_day) text += " " + formatTime(date);
  const diff = daysBetween(todayKey(), key);
  let state = diff < 0 ? "past" : diff === 0 ? "today" : diff === 1 ? "soon" : "later";
  if (task.overdue) state = "overdue";
  return { text, key, state, title: longDate(key) + (task.all_day ? " (all day)" : " at " + formatTime(date)) };
}

/** "just now", "5 min ago", "3 h ago", "Dec 1". */
export function timeAgo(iso) {
  const date = new Date(iso);
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  if (seconds < 7 * 86400) return `${Math.round(seconds / 86400)} d ago`;
  return shortDate(dayKey(date));
}

/** The heading of a day group in lists sorted by due date. */
export function groupLabel(key) {
  if (!key) return "No date";
  const diff = daysBetween(todayKey(), key);
  const [, m, d] = key.split("-").map(Number);
  const base = `${MONTHS[m - 1]} ${d}`;
  if (diff === 0) return `Today · ${DAY_NAMES[weekdayOf(key)]}, ${base}`;
  if (diff === 1) return `Tomorrow · ${DAY_NAMES[weekdayOf(key)]}, ${base}`;
  return longDate(key);
}
