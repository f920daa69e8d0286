// Recurrence rules in the browser: the same sentence the server writes in `recurrence.text`
// ("every week on Monday and Friday", "every month on the last day", "every 3 days after completion"),
// so the editor can preview a rule before it is saved.

import { LONG_MONTHS, MONTHS, addDays, timeZone, weekdayOf } from "./dates.js";

export const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
const NAMES = { MO: "Monday", TU: "Tuesday", WE: "Wednesday", TH: "Thursday", FR: "Friday", SA: "Saturday", SU: "Sunday" };
const UNITS = { hourly: "hour", daily: "day", weekly: "week", monthly: "month", yearly: "year" };

/** The unit word of a frequency: hour, day, week, month, year. */
export function unitOf(frequency) {
  return UNITS[frequency] || "day";
}

/** "1st", "2nd", "23rd", "last day" (for -1). */
export function ordinalDay(day) {
  if (day === -1) return "last day";
  const tens = day % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : { 1: "st", 2: "nd", 3: "rd" }[day % 10] || "th";
  return `${day}${suffix}`;
}

/** "a", "a and b", "a, b and c". */
export function listWords(items) {
  if (items.length <= 1) return items.join("");
  return items.slice(0, -1).join(", ") + " and " + items[items.length - 1];
}

/**
 * The rule as the server stores it after saving: days deduplicated and sorted, and a monthly or yearly
 * rule without days (not counted from completion) anchored on the due date's day (`anchorDay`, 1–31).
 */
export function normalize(rule, anchorDay) {
  const byWeekday = WEEKDAYS.filter((code) => (rule.by_weekday || []).includes(code));
  let byMonthDay = Array.from(new Set(rule.by_month_day || [])).sort((a, b) => (a === -1 ? 32 : a) - (b === -1 ? 32 : b));
  const bySetPosition = Array.from(new Set(rule.by_set_position || [])).sort((a, b) => (a < 0 ? 100 + a : a) - (b < 0 ? 100 + b : b));
  const monthly = rule.frequency === "monthly" || rule.frequency === "yearly";
  if (anchorDay && !rule.from_completion && byMonthDay.length === 0 && bySetPosition.length === 0 && monthly) {
    byMonthDay = [anchorDay];
  }
  const byHour = Array.from(new Set(rule.by_hour || [])).sort((a, b) => a - b);
  return { ...rule, interval: rule.interval || 1, by_weekday: byWeekday, by_month_day: byMonthDay, by_set_position: bySetPosition, by_hour: byHour };
}

const POSITIONS = ["first", "second", "third", "fourth", "fifth"];

/** "first", "second", …, "last", "second-to-last": a position among a month's days on the rule's weekdays. */
export function ordinalPosition(position) {
  if (position === -1) return "last";
  const number = Math.abs(position);
  const word = number >= 1 && number <= POSITIONS.length ? POSITIONS[number - 1] : ordinalDay(number);
  return position >= 0 ? word : `${word}-to-last`;
}

/** "first Friday", "first and third Monday", "last weekday", "last Monday or Friday". */
function positionedDays(weekdays, positions) {
  let days;
  if (weekdays.join() === "MO,TU,WE,TH,FR") days = "weekday";
  else if (weekdays.join() === "SA,SU") days = "weekend day";
  else if (weekdays.length === 1) days = NAMES[weekdays[0]];
  else days = weekdays.slice(0, -1).map((code) => NAMES[code]).join(", ") + " or " + NAMES[weekdays[weekdays.length - 1]];
  return `${listWords(positions.map(ordinalPosition))} ${days}`;
}

/** The position of a day in its month among the days on its weekday: 1 to 4, or -1 (the last) for a fifth. */
export function positionOfDay(dayOfMonth) {
  const position = Math.ceil(dayOfMonth / 7);
  return position > 4 ? -1 : position;
}

/**
 * The sentence of a rule, e.g. "every 2 weeks on Monday and Friday, 10 times". `until` is shown as "Dec 31, 2026".
 * A yearly rule names the month of `dueKey` ("2027-03-03", or "2027-03-03T08:30" with its time), its task's due date,
 * when given: "every year on March 3"; hours of the day take the minute of its time.
 */
export function describe(rule, dueKey = null) {
  if (!rule || !rule.frequency) return "";
  const interval = Number(rule.interval) || 1;
  const unit = unitOf(rule.frequency);
  const weekdays = WEEKDAYS.filter((code) => (rule.by_weekday || []).includes(code));
  const monthDays = rule.by_month_day || [];
  let sentence;
  if (rule.frequency === "weekly" && interval === 1 && weekdays.join() === "MO,TU,WE,TH,FR") {
    sentence = "every weekday";
  } else {
    sentence = interval === 1 ? `every ${unit}` : `every ${interval} ${unit}s`;
    if (rule.frequency === "daily" && interval === 1) sentence = "every day";
    if (rule.frequency === "weekly" && weekdays.length) sentence += " on " + listWords(weekdays.map((code) => NAMES[code]));
    const due = dueKey ? /^(\d{4})-(\d{2})-(\d{2})/.exec(dueKey) : null;
    const positions = rule.by_set_position || [];
    if ((rule.frequency === "monthly" || rule.frequency === "yearly") && positions.length && weekdays.length) {
      sentence += " on the " + positionedDays(weekdays, positions);
      if (rule.frequency === "yearly" && due) sentence += " of " + LONG_MONTHS[Number(due[2]) - 1];
    } else if (rule.frequency === "yearly" && due) {
      const month = LONG_MONTHS[Number(due[2]) - 1];
      const day = monthDays.length ? monthDays[0] : Number(due[3]);
      sentence += day === -1 ? ` on the last day of ${month}` : ` on ${month} ${day}`;
    } else if ((rule.frequency === "monthly" || rule.frequency === "yearly") && monthDays.length) {
      sentence += " on the " + listWords(monthDays.map(ordinalDay));
    }
  }
  if ((rule.by_hour || []).length) sentence = withHours(sentence, rule, interval, dueKey);
  if (rule.from_completion) sentence += " after completion";
  if (rule.count) sentence += Number(rule.count) === 1 ? ", once" : `, ${rule.count} times`;
  if (rule.until) sentence += " until " + untilText(rule.until);
  return sentence;
}

/**
 * The sentence of a rule with hours of the day, at the minute of `dueKey` ("2026-12-07T08:30"): "every day at 8:30 and
 * 20:30", or for three or more hours evenly apart every day, "every 2 hours from 8:00 to 20:00".
 */
function withHours(sentence, rule, interval, dueKey) {
  const hours = rule.by_hour;
  const time = dueKey ? /T(\d{2}):(\d{2})/.exec(dueKey) : null;
  const minute = String(time ? Number(time[2]) : 0).padStart(2, "0");
  const times = hours.map((hour) => `${hour}:${minute}`);
  const gaps = new Set(hours.slice(1).map((hour, index) => hour - hours[index]));
  if (rule.frequency === "daily" && interval === 1 && hours.length >= 3 && gaps.size === 1) {
    const gap = [...gaps][0];
    return `${gap === 1 ? "every hour" : `every ${gap} hours`} from ${times[0]} to ${times[times.length - 1]}`;
  }
  return `${sentence} at ${listWords(times)}`;
}

function untilText(until) {
  // A plain date ("2026-12-31") or an instant; either way the calendar day is what the user picked.
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(until);
  if (match) return `${MONTHS[Number(match[2]) - 1]} ${Number(match[3])}, ${match[1]}`;
  const date = new Date(until);
  return new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: timeZone() }).format(date);
}

/** Capitalized for display: "Every week on Monday". */
export function sentenceCase(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/**
 * Whether a weekly or monthly rule falls on the day `key` ("2026-12-09"): one of its weekdays, its days of the month
 * (a day past the month's end is its last day) or its weekdays at their positions. Other rules fall on any day.
 */
export function fallsOn(rule, key) {
  const [year, month, day] = key.split("-").map(Number);
  const weekdays = rule.by_weekday || [];
  if (rule.frequency === "weekly") return weekdays.length === 0 || weekdays.includes(WEEKDAYS[weekdayOf(key) - 1]);
  if (rule.frequency !== "monthly") return true;
  const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const positions = rule.by_set_position || [];
  if (positions.length && weekdays.length) {
    const first = `${key.slice(0, 8)}01`;
    const matching = [];
    for (let d = 1; d <= length; d++) if (weekdays.includes(WEEKDAYS[weekdayOf(addDays(first, d - 1)) - 1])) matching.push(d);
    return positions.some((position) => matching[position > 0 ? position - 1 : matching.length + position] === day);
  }
  const days = rule.by_month_day || [];
  return days.length === 0 || days.some((wanted) => (wanted === -1 ? length : Math.min(wanted, length)) === day);
}

/** The first day from `key` on that the rule falls on (see `fallsOn`), within about a year; `key` itself otherwise. */
export function firstMatchingDay(rule, key) {
  for (let offset = 0; offset < 400; offset++) {
    const candidate = addDays(key, offset);
    if (fallsOn(rule, candidate)) return candidate;
  }
  return key;
}
