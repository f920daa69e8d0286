// The quick-add bar: natural-language input ("Pay rent every month on the 1st 9am p1 #home") with a
// live preview of what the server understood, saved with Enter. Without the quick-add endpoint the
// bar still adds a task, using the text as its title.

import * as api from "../api.js";
import { $, el, icon, toast, toastError } from "../dom.js";
import { describeDue, formatClock, localTimes } from "../dates.js";
import { sentenceCase } from "../recurrence.js";

const PRIORITY_LABELS = { urgent: "Urgent", high: "High", medium: "Medium", low: "Low" };

let features = { quickAdd: false, quickPreview: false };
let timer = null;
let controller = null;
// What the preview understood of the last text it read: `{text, task}`, or `{text, problem}` when adding it would be
// refused (no title left, a title too long). Enter reuses it, and sends nothing that has a problem.
let understood = null;
const NO_TITLE =
  "there’s nothing left for a title once the date, priority and tags are read. Add what the task is, e.g. “Water the plants tomorrow #home”.";
let hooks = { created: () => {}, edit: () => {}, defaultDay: () => null };

/** Wires the bar; `created(task)` is told about each new task and answers where it is (see tasks.whereIs), `edit(task)`
 * opens the dialog. */
export function initQuickAdd({ created, edit, defaultDay = () => null }) {
  hooks = { created, edit, defaultDay };
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
 * What quick add would make of `text` (the last preview's answer when it was for the same text): `{text, task}`,
 * `{text, problem}` for what adding would refuse, said before Enter ("text leaves a title of 205 characters…", no
 * title at all), or null when the preview could not tell.
 */
async function understand(text, signal) {
  if (understood && understood.text === text) return understood;
  try {
    const task = await api.quickPreview(text, signal);
    understood = task.title ? { text, task } : { text, problem: NO_TITLE };
  } catch (error) {
    if (error.name === "AbortError") return null;
    if (error.status === 404) {
      api.disableFeature("quickPreview");
      features.quickPreview = false;
    }
    if (error.status !== 422) return null;
    understood = { text, problem: error.message };
  }
  return understood;
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

/** The text with the view's day ("today" in Today) when it says no date of its own, as the preview read it. */
function withDefaultDay(text, found) {
  const day = hooks.defaultDay();
  return day && found && found.task && !found.task.due_at ? `${text} ${day}` : text;
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
      try {
        task = await api.quickAdd(withDefaultDay(text, found));
      } catch (error) {
        if (error.status === 422 && error.details.some((detail) => detail.field === "text")) {
          showPreviewProblem(error.message);
          return;
        }
        if (error.status !== 404) throw error;
        api.disableFeature("quickAdd");
        features.quickAdd = false;
        task = await api.createTask({ title: text });
      }
    } else {
      task = await api.createTask({ title: text });
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
