// The quick-add bar: natural-language input ("Pay rent every month on the 1st 9am p1 #home") with a
// live preview of what the server understood, saved with Enter. Without the quick-add endpoint the
// bar still adds a task, using the text as its title.

import * as api from "../api.js";
import { $, el, icon, toast, toastError } from "../dom.js";
import { describeDue, formatClock, localTimes, todayKey } from "../dates.js";
import { sentenceCase } from "../recurrence.js";
import { isValidTag } from "../tags.js";

const PRIORITY_LABELS = { urgent: "Urgent", high: "High", medium: "Medium", low: "Low" };

let features = { quickAdd: false, quickPreview: false };
let timer = null;
let controller = null;
// What the preview understood of the last text it read in the view's context: `{text, context, sent, task}` (`sent`: the
// text with the view's defaults, as it is added), or `{text, context, problem}` when adding it would be refused (no
// title left, a title too long). Enter reuses it, and sends nothing that has a problem.
let understood = null;
const NO_TITLE =
  "there’s nothing left for a title once the date, priority and tags are read. Add what the task is, e.g. “Water the plants tomorrow #home”.";
let hooks = { created: () => {}, edit: () => {}, defaultDay: () => null, defaultTag: () => null };

/** Wires the bar; `created(task)` is told about each new task and answers where it is (see tasks.whereIs), `edit(task)`
 * opens the dialog; `defaultDay()` ("today" or null) and `defaultTag()` (a tag or null) are the view's, for a text that
 * says none of its own. */
export function initQuickAdd({ created, edit, defaultDay = () => null, defaultTag = () => null }) {
  hooks = { created, edit, defaultDay, defaultTag };
  const input = $("#quick-input");
  input.addEventListener("input", () => schedulePreview());
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      if (input.value) {
        input.value = "";
        hidePreview();
      } else {
        input.blur();
      }
    }
  });
  $("#quick-add").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
}

/** Applies the server's capabilities. */
export function setQuickAddFeatures(found) {
  features = { quickAdd: found.quickAdd, quickPreview: found.quickPreview };
  syncPlaceholder();
}

const narrow = window.matchMedia("(max-width: 600px)");
narrow.addEventListener("change", () => syncPlaceholder());

function syncPlaceholder() {
  $("#quick-input").placeholder =
    features.quickAdd && !narrow.matches ? "Add a task — try “Pay rent every month on the 1st 9am p1 #home”" : "Add a task";
}

/** Reads the text again (the view's day or tag, or the time zone, changed): the preview says what Enter would add now. */
export function refreshQuickPreview() {
  if (controller) controller.abort();
  controller = null;
  understood = null;
  schedulePreview();
}

export function focusQuickAdd() {
  const input = $("#quick-input");
  input.focus();
  input.select();
}

function schedulePreview() {
  clearTimeout(timer);
  const text = $("#quick-input").value.trim();
  if (!features.quickPreview || !text) {
    hidePreview();
    return;
  }
  timer = setTimeout(() => preview(text), 220);
}

async function preview(text) {
  if (controller) controller.abort();
  controller = new AbortController();
  const mine = controller;
  const found = await understand(text, mine.signal);
  if (mine !== controller || $("#quick-input").value.trim() !== text) return;
  if (!found) hidePreview();
  else if (found.problem) showPreviewProblem(found.problem);
  else showPreview(found.task);
}

/**
 * What quick add would make of `text` in this view (the last preview's answer when it was for the same text and view):
 * `{text, sent, task}` with the view's defaults applied (see withDefaults), `{text, problem}` for what adding would
 * refuse, said before Enter ("text leaves a title of 205 characters…", no title at all), or null when the preview
 * could not tell.
 */
async function understand(text, signal) {
  const context = JSON.stringify([hooks.defaultDay(), hooks.defaultTag()]);
  if (understood && understood.text === text && understood.context === context) return understood;
  let found = await read(text, signal);
  if (found && found.task) {
    // The view's day or tag goes in when the text says none: the preview shows the task as it will be added.
    const sent = withDefaults(text, found.task);
    if (sent !== text) found = await read(sent, signal);
    if (found) found.sent = sent;
  }
  if (!found) return null;
  understood = { ...found, text, context };
  return understood;
}

/** The preview of `text`: `{task}`, `{problem}`, or null when it could not tell. */
async function read(text, signal) {
  try {
    const task = await api.quickPreview(text, signal);
    return task.title ? { task } : { problem: NO_TITLE };
  } catch (error) {
    if (error.name === "AbortError") return null;
    if (error.status === 404) {
      api.disableFeature("quickPreview");
      features.quickPreview = false;
    }
    return error.status === 422 ? { problem: error.message } : null;
  }
}

function showPreviewProblem(message) {
  const box = $("#quick-preview");
  box.replaceChildren(el("span", { class: "qp-label qp-problem" }, icon("alert"), "Can’t add: "), el("span", { class: "qp-problem-text", text: message }));
  box.hidden = false;
}

function hidePreview() {
  clearTimeout(timer);
  understood = null;
  if (controller) controller.abort();
  controller = null;
  const box = $("#quick-preview");
  box.hidden = true;
  box.replaceChildren();
}

function showPreview(task) {
  const box = $("#quick-preview");
  const parts = [el("span", { class: "qp-label" }, icon("sparkle"), "Will add")];
  parts.push(el("strong", { class: "qp-title", text: task.title || "(no title)" }));
  const due = describeDue({ due_at: task.due_at, all_day: task.all_day, overdue: false });
  if (due) parts.push(el("span", { class: `qp-chip due due-${due.state}`, title: due.title }, icon("calendar"), due.text));
  if (task.recurrence) parts.push(el("span", { class: "qp-chip repeat" }, icon("repeat"), sentenceCase(localTimes(task.recurrence.text || "repeats"))));
  if (task.priority && task.priority !== "none") {
    parts.push(el("span", { class: `prio-badge p-${task.priority}` }, icon("flag"), PRIORITY_LABELS[task.priority]));
  }
  for (const tag of task.tags || []) parts.push(el("span", { class: "tag-chip" }, el("span", { "aria-hidden": "true", text: "#" }), tag));
  const reminders = task.reminders || [];
  if (reminders.length) {
    const text = reminders
      .map((reminder) => (reminder.offset_minutes != null ? offsetText(reminder.offset_minutes, task.all_day) : "at a set time"))
      .join(", ");
    parts.push(el("span", { class: "qp-chip" }, icon("bell"), "Remind " + text));
  }
  parts.push(el("span", { class: "qp-hint" }, el("kbd", { text: "Enter" }), " to add"));
  box.replaceChildren(...parts);
  box.hidden = false;
}

// A reminder of a task due on a day without a time counts from 9:00 that morning (the server's rule).
function offsetText(minutes, allDay) {
  if (allDay && minutes === 0) return `at ${formatClock(9)} that day`;
  if (allDay && minutes === 1440) return `at ${formatClock(9)} the day before`;
  if (minutes === 0) return "at due time";
  if (minutes % 1440 === 0) return `${minutes / 1440} d before`;
  if (minutes % 60 === 0) return `${minutes / 60} h before`;
  return `${minutes} min before`;
}

/**
 * The text with the view's defaults that `task` (the text as the preview read it) does not say itself: the day in
 * Today ("… today"), the tag in a tag's view ("… #work") when the text names no tag.
 */
function withDefaults(text, task) {
  const day = hooks.defaultDay();
  const tag = hooks.defaultTag();
  let sent = text;
  if (day && !task.due_at) sent += ` ${day}`;
  if (tag && isValidTag(tag) && !(task.tags || []).length) sent += ` #${tag}`;
  return sent;
}

/** A task of `text` as its title, for a server without quick add: in the view's day and tag. */
function plainTask(text) {
  const tag = hooks.defaultTag();
  const fields = { title: text };
  if (hooks.defaultDay() === "today") Object.assign(fields, { due_at: todayKey(), all_day: true });
  if (tag && isValidTag(tag)) fields.tags = [tag];
  return fields;
}

async function submit() {
  const input = $("#quick-input");
  const text = input.value.trim();
  if (!text) return;
  const button = $("#quick-submit");
  button.disabled = true;
  try {
    let task;
    if (features.quickAdd) {
      const found = features.quickPreview ? await understand(text) : null;
      if (found && found.problem) {
        // Said in the preview, not sent: the server would refuse it.
        clearTimeout(timer);
        showPreviewProblem(found.problem);
        return;
      }
      // Without a preview nothing tells whether the text names a date: only a tag is added, when it names none.
      const tag = hooks.defaultTag();
      const sent = found ? found.sent : tag && isValidTag(tag) && !/(^|\s)#\S/.test(text) ? `${text} #${tag}` : text;
      try {
        task = await api.quickAdd(sent);
      } catch (error) {
        if (error.status === 422 && error.details.some((detail) => detail.field === "text")) {
          showPreviewProblem(error.message);
          return;
        }
        if (error.status !== 404) throw error;
        api.disableFeature("quickAdd");
        features.quickAdd = false;
        task = await api.createTask(plainTask(text));
      }
    } else {
      task = await api.createTask(plainTask(text));
    }
    input.value = "";
    hidePreview();
    toast(`Added “${task.title}”${hooks.created(task) || ""}`, {
      kind: "success",
      action: { label: "Edit", run: () => hooks.edit(task) },
    });
  } catch (error) {
    toastError(error, "Couldn’t add the task");
  } finally {
    button.disabled = false;
    input.focus();
  }
}
