// The create / edit dialog: title, description, due date and time (or all day), priority, tags,
// reminders and a recurrence editor that previews the rule's sentence as it is edited.

import * as api from "../api.js";
import {
  $,
  $$,
  clearErrorsOnEdit,
  clearFormErrors,
  confirmAction,
  el,
  icon,
  returnFocus,
  revealFormErrors,
  showFormErrors,
  toast,
} from "../dom.js";
import { addDays, dayKey, describeDue, formatClock, localTimes, shortDate, timeAgo, timeKey, todayKey, weekdayOf } from "../dates.js";
import { renderMarkdown } from "../markdown.js";
import { WEEKDAYS, describe, firstMatchingDay, listWords, normalize, positionOfDay, sentenceCase, unitOf } from "../recurrence.js";
import { MAX_TAGS, TAG_RULE, isValidTag, normalizeTag } from "../tags.js";

/** The largest "every N" of a rule the server takes. */
const MAX_INTERVAL = 1000;

const REMINDER_OFFSETS = [
  [0, "At the due time"],
  [5, "5 minutes before"],
  [15, "15 minutes before"],
  [30, "30 minutes before"],
  [60, "1 hour before"],
  [120, "2 hours before"],
  [1440, "1 day before"],
  [2880, "2 days before"],
  [10080, "1 week before"],
];

let dialog;
let form;
let editing = null;
// The fields of the task being edited as the form showed them when it opened: a save sends only what the user
// changed, so a change made meanwhile in another tab, the chat or the API is not written back over.
let opened = null;
// The form as it stood when the dialog opened (see `snapshot`): closing it changed asks before the changes are lost.
let initial = null;
// The version of the task that a save is made on: `etag` (sent as If-Match) and the task as it was then. First the one
// the form was filled from; after a refused save (the task changed elsewhere meanwhile), the one read then. See `send`.
let base = null;
let tags = [];
// Tags typed that the server would refuse, shown marked until removed: saving waits for them.
let invalidTags = [];
// The days of a monthly or yearly rule that the form cannot show ("the 1st and 15th", "the last weekday", a yearly
// rule's last day or weekday), with its frequency: kept as they were while the frequency stays, until the user picks
// other days.
let monthDaysUntouched = null;
let reminderSeq = 0;
// What had the focus when the dialog opened (`element`; in the list, its task's id and its role there, as the list may
// have been drawn again meanwhile), and the task the dialog was last about: the focus goes back there on close.
let opener = { element: null, id: null, role: null };
let focusTaskId = null;
let hooks = { saved: () => {}, deleted: () => {}, deleteTask: () => {}, tagNames: () => [], refreshed: () => {} };

const FIELD_LABELS = {
  title: "Title",
  description: "Description",
  priority: "Priority",
  tags: "Tags",
  due_at: "Due date",
  all_day: "Due date",
  reminders: "Reminders",
  recurrence: "Repeat",
};
const PRIORITY_NAMES = { none: "none", low: "Low", medium: "Medium", high: "High", urgent: "Urgent" };

/**
 * Wires the dialog. `saved(task, created)` and `deleted(id)` (the server no longer has it) report what happened;
 * `deleteTask(task)` deletes the task the user chose to delete (with an Undo: the list does it); `refreshed(task)`
 * hands on a task read again because it changed elsewhere.
 */
export function initTaskDialog({ saved, deleted, deleteTask, tagNames, refreshed = () => {} }) {
  hooks = { saved, deleted, deleteTask, tagNames, refreshed };
  dialog = $("#task-dialog");
  form = $("#task-form");

  for (const button of $$("[data-close]", dialog)) button.addEventListener("click", requestClose);
  // Escape, and a click on the backdrop (app.js sends the same event): not at once when something was changed.
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    requestClose();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  dialog.addEventListener("close", () => {
    // The event is queued: the dialog may already be open again for another task.
    if (dialog.open) return;
    editing = null;
    base = null;
    hideConflict();
    focusBack();
  });
  $("#task-conflict-overwrite").addEventListener("click", () => save());
  $("#task-conflict-reload").addEventListener("click", reloadTask);

  clearErrorsOnEdit(form);
  $("#reminder-day-hint").textContent = `Without a time, reminders count from ${formatClock(9)} on the day.`;
  $("#task-all-day").addEventListener("change", () => {
    // All day has no time of day: ticking it clears the time (and picking a time unticks it).
    if ($("#task-all-day").checked) $("#task-due-time").value = "";
    syncDue();
    syncRepeat();
  });
  $("#task-due-time").addEventListener("input", () => {
    if ($("#task-due-time").value) $("#task-all-day").checked = false;
    if ($("#task-due-time").value && !$("#task-due-date").value) $("#task-due-date").value = todayKey();
    syncDue();
    syncRepeat();
  });
  $("#task-due-date").addEventListener("input", () => {
    syncDue();
    syncRepeat();
  });
  for (const button of $$("#due-shortcuts [data-due]")) {
    button.addEventListener("click", () => {
      const today = todayKey();
      const choice = button.dataset.due;
      const date = { today, tomorrow: addDays(today, 1), "next-week": addDays(today, 8 - weekdayOf(today)), none: "" }[choice];
      $("#task-due-date").value = date;
      if (!date) {
        $("#task-due-time").value = "";
        $("#task-all-day").checked = false;
      } else if (!$("#task-due-time").value) {
        $("#task-all-day").checked = true;
      }
      syncDue();
      syncRepeat();
    });
  }

  // Tags: chips plus a text field; Enter, comma or space adds the typed tag.
  const tagInput = $("#task-tags");
  tagInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === "," || (event.key === " " && tagInput.value.trim())) {
      if (tagInput.value.trim()) {
        event.preventDefault();
        addTags(tagInput.value);
        tagInput.value = "";
      } else if (event.key === "Enter") {
        // An empty tag field: Enter submits the form as usual.
      } else {
        event.preventDefault();
      }
    } else if (event.key === "Backspace" && !tagInput.value && (tags.length || invalidTags.length)) {
      if (invalidTags.length) invalidTags.pop();
      else tags.pop();
      renderTags();
    }
  });
  tagInput.addEventListener("input", () => {
    if (/[,\s]/.test(tagInput.value)) {
      const parts = tagInput.value.split(/[,\s]+/);
      const rest = parts.pop();
      addTags(parts.join(","));
      tagInput.value = rest;
    }
    // Typing clears the field's error (dom.js): what is wrong with the tags made so far still stands.
    showTagProblem();
  });
  tagInput.addEventListener("blur", () => {
    if (tagInput.value.trim()) {
      addTags(tagInput.value);
      tagInput.value = "";
    }
  });
  $("#tag-editor").addEventListener("click", (event) => {
    const remove = event.target.closest("[data-remove-tag]");
    if (remove) {
      tags = tags.filter((tag) => tag !== remove.dataset.removeTag);
      invalidTags = invalidTags.filter((tag) => tag !== remove.dataset.removeTag);
      renderTags();
      tagInput.focus();
    } else if (event.target === event.currentTarget) {
      tagInput.focus();
    }
  });

  $("#task-description-toggle").addEventListener("click", () => {
    const preview = $("#task-description-preview").hidden;
    showDescriptionPreview(preview);
    if (!preview) $("#task-description").focus();
  });
  $("#task-description-preview").addEventListener("click", (event) => {
    // A click on the rendered text (not on a link in it) goes back to editing it.
    if (!event.target.closest("a")) {
      showDescriptionPreview(false);
      $("#task-description").focus();
    }
  });

  $("#add-reminder").addEventListener("click", () => {
    const row = addReminderRow({ offset_minutes: $("#task-due-date").value ? 0 : null, at: null });
    row.querySelector("select").focus();
  });

  $("#repeat-frequency").addEventListener("change", () => {
    if ($("#repeat-frequency").value === "weekly" && !$$("#repeat-weekly input:checked").length) {
      const anchor = $("#task-due-date").value || todayKey();
      const code = WEEKDAYS[weekdayOf(anchor) - 1];
      $(`#repeat-weekly input[value="${code}"]`).checked = true;
    }
    syncRepeat();
  });
  for (const input of $$("#repeat-group input, #repeat-ends")) {
    input.addEventListener("input", syncRepeat);
    input.addEventListener("change", syncRepeat);
  }
  for (const input of $$("#repeat-monthly input, #repeat-monthly select")) {
    input.addEventListener("change", () => (monthDaysUntouched = null));
  }
  for (const select of $$("#repeat-monthly select")) {
    select.addEventListener("change", () => {
      $('#repeat-monthly input[value="weekday"]').checked = true;
      syncRepeat();
    });
  }
  $("#repeat-month-day").addEventListener("focus", () => {
    $('#repeat-monthly input[value="day"]').checked = true;
    syncRepeat();
  });

  // No question first: the toast that says the task was deleted offers to undo it.
  $("#task-delete").addEventListener("click", () => {
    if (!editing) return;
    const task = editing;
    // Its row leaves the list: the focus goes to the row now in its place (or the one before) when the dialog closes.
    const listed = $$("#task-list .task");
    const index = listed.findIndex((row) => row.dataset.id === String(task.id));
    const neighbour = index >= 0 ? listed[index + 1] || listed[index - 1] : null;
    focusTaskId = neighbour ? neighbour.dataset.id : null;
    dialog.close();
    hooks.deleteTask(task);
  });
}

/** Opens the dialog for `task`, or for a new task (with optional `defaults` such as {title}). */
export function openTaskDialog(task = null, defaults = {}) {
  if (!dialog.open) rememberOpener();
  editing = task;
  focusTaskId = task ? task.id : null;
  base = task ? { etag: api.etagOf(task), task: structuredClone(task) } : null;
  clearFormErrors(form);
  hideConflict();
  const source = task || { title: "", description: "", priority: "none", tags: [], due_at: null, all_day: false, reminders: [], recurrence: null, ...defaults };
  $("#task-dialog-title").textContent = task ? "Edit task" : "New task";
  $("#task-save").textContent = task ? "Save" : "Add task";
  $("#task-delete").hidden = !task;
  $("#task-title").value = source.title || "";
  $("#task-description").value = source.description || "";
  $("#task-priority").value = source.priority || "none";
  tags = [...(source.tags || [])];
  invalidTags = [];
  $("#task-tags").value = "";
  renderTags();
  // A task's notes show rendered (Markdown); a new task's description is edited.
  showDescriptionPreview(Boolean(task && source.description));
  refreshSuggestions();

  if (source.due_at) {
    const due = new Date(source.due_at);
    $("#task-due-date").value = dayKey(due);
    $("#task-due-time").value = source.all_day ? "" : timeKey(due);
    $("#task-all-day").checked = Boolean(source.all_day);
  } else if (source.due_date) {
    $("#task-due-date").value = source.due_date;
    $("#task-due-time").value = "";
    $("#task-all-day").checked = true;
  } else {
    $("#task-due-date").value = "";
    $("#task-due-time").value = "";
    $("#task-all-day").checked = false;
  }
  syncDue();

  $("#reminder-list").replaceChildren();
  for (const reminder of source.reminders || []) addReminderRow(reminder);
  syncReminderHint();

  fillRecurrence(source.recurrence, source.due_at ? dayKey(new Date(source.due_at)) : null);
  opened = task ? payload() : null;
  initial = snapshot();

  const meta = $("#task-meta");
  meta.replaceChildren();
  if (task) {
    const parts = [`Created ${timeAgo(task.created_at)}`, `updated ${timeAgo(task.updated_at)}`];
    if (task.recurrence && task.occurrence > 1) parts.push(`occurrence ${task.occurrence} of this series`);
    if (task.completed_at) parts.push(`completed ${timeAgo(task.completed_at)}`);
    meta.textContent = parts.join(" · ");
  }
  if (!dialog.open) dialog.showModal();
  const title = $("#task-title");
  title.focus();
  if (task) title.setSelectionRange(title.value.length, title.value.length);
}

export function isOpen() {
  return dialog && dialog.open;
}

function rememberOpener() {
  const element = document.activeElement;
  const row = element && element.closest ? element.closest("#task-list .task") : null;
  opener = { element, id: row ? row.dataset.id : null, role: row ? (element === row ? "row" : element.dataset.role || null) : null };
}

/**
 * After the dialog closed, when the focus was left nowhere: back to what opened it; when the list was drawn again, to
 * the same control of its task's row; then to the row of the task saved (a dialog opened with `n`), else the list.
 */
function focusBack() {
  const inList = (id, role) => {
    const row = id != null ? $(`#task-list .task[data-id="${id}"]`) : null;
    return row && role && role !== "row" ? row.querySelector(`[data-role="${role}"]`) : row;
  };
  returnFocus(dialog, opener.element, inList(opener.id, opener.role), inList(focusTaskId, "row"), $("#main"));
  opener = { element: null, id: null, role: null };
}

// ---------------------------------------------------------------------------------------------
// Due date

function syncDue() {
  for (const button of $$("#due-shortcuts [data-due]")) {
    const today = todayKey();
    const value = $("#task-due-date").value;
    const target = { today, tomorrow: addDays(today, 1), "next-week": addDays(today, 8 - weekdayOf(today)), none: "" }[button.dataset.due];
    button.setAttribute("aria-pressed", String(value === target));
  }
  syncReminderHint();
}

// A relative reminder of a task due on a day without a time counts from 9:00 that morning (the server's rule).
function syncReminderHint() {
  const onADay = Boolean($("#task-due-date").value) && !$("#task-due-time").value;
  const relative = $$("#reminder-list .rem-kind").some((select) => select.value !== "at");
  $("#reminder-day-hint").hidden = !(onADay && relative);
}

// ---------------------------------------------------------------------------------------------
// Tags

/** Makes chips of the tags in `text`; one the server would refuse (or one past the limit) is marked at once. */
function addTags(text) {
  for (const raw of text.split(/[,\s]+/)) {
    const tag = normalizeTag(raw);
    if (!tag || tags.includes(tag) || invalidTags.includes(tag)) continue;
    if (isValidTag(tag) && tags.length < MAX_TAGS) tags.push(tag);
    else invalidTags.push(tag);
  }
  renderTags();
}

function tagChip(tag, valid) {
  return el(
    "li",
    { class: "tag-chip editable" + (valid ? "" : " invalid") },
    el("span", { text: "#" + tag }),
    valid ? null : el("span", { class: "sr-only", text: " (not saved: not a valid tag)" }),
    el("button", { type: "button", class: "chip-remove", "aria-label": `Remove tag ${tag}`, dataset: { removeTag: tag } }, icon("x")),
  );
}

function renderTags() {
  // A tag held back only by the limit goes in once another is removed.
  for (const tag of invalidTags.filter(isValidTag)) {
    if (tags.length >= MAX_TAGS) break;
    tags.push(tag);
    invalidTags = invalidTags.filter((other) => other !== tag);
  }
  $("#tag-editor-chips").replaceChildren(...tags.map((tag) => tagChip(tag, true)), ...invalidTags.map((tag) => tagChip(tag, false)));
  showTagProblem();
}

/** Says under the tags what is wrong with the marked ones, in plain words; says nothing when nothing is. */
function showTagProblem() {
  const slot = $('#task-form .field-error[data-field="tags"]');
  const input = $("#task-tags");
  if (!invalidTags.length) {
    if (slot.dataset.source === "tags") {
      slot.textContent = "";
      slot.hidden = true;
      delete slot.dataset.source;
      input.removeAttribute("aria-invalid");
    }
    return;
  }
  const names = listWords(invalidTags.map((tag) => `“${tag}”`));
  const tooMany = invalidTags.every(isValidTag);
  slot.textContent = tooMany
    ? `A task holds at most ${MAX_TAGS} tags: remove one to add ${names}.`
    : `${invalidTags.length === 1 ? "Not a valid tag" : "Not valid tags"}: ${names} — ${TAG_RULE}. Remove ${invalidTags.length === 1 ? "it" : "them"} or type ${invalidTags.length === 1 ? "it" : "them"} again.`;
  slot.dataset.source = "tags";
  slot.hidden = false;
  input.setAttribute("aria-invalid", "true");
}

// ---------------------------------------------------------------------------------------------
// Description (Markdown)

/** Shows the description rendered (`on`) or the text to edit. */
function showDescriptionPreview(on) {
  const textarea = $("#task-description");
  const preview = $("#task-description-preview");
  const toggle = $("#task-description-toggle");
  if (on) {
    const text = textarea.value.trim();
    preview.replaceChildren(text ? renderMarkdown(textarea.value) : el("p", { class: "hint", text: "Nothing to preview yet." }));
  }
  preview.hidden = !on;
  textarea.hidden = on;
  toggle.textContent = on ? "Edit" : "Preview";
}

function refreshSuggestions() {
  $("#tag-suggestions").replaceChildren(...hooks.tagNames().map((name) => el("option", { value: name })));
}

// ---------------------------------------------------------------------------------------------
// Reminders

function minutesLabel(minutes) {
  if (minutes === 0) return "At the due time";
  if (minutes % 10080 === 0) return `${minutes / 10080} week${minutes === 10080 ? "" : "s"} before`;
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? "" : "s"} before`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? "" : "s"} before`;
  return `${minutes} minutes before`;
}

function addReminderRow(reminder) {
  const index = ++reminderSeq;
  const select = el("select", { class: "rem-kind", id: `reminder-kind-${index}`, "aria-label": "Remind me", dataset: { part: "offset_minutes" } });
  const offsets = [...REMINDER_OFFSETS];
  if (reminder.offset_minutes != null && !offsets.some(([minutes]) => minutes === reminder.offset_minutes)) {
    offsets.push([reminder.offset_minutes, minutesLabel(reminder.offset_minutes)]);
    offsets.sort((a, b) => a[0] - b[0]);
  }
  for (const [minutes, label] of offsets) select.append(el("option", { value: String(minutes), text: label }));
  select.append(el("option", { value: "at", text: "At a specific time…" }));
  const at = el("input", { type: "datetime-local", class: "rem-at", "aria-label": "Reminder time", dataset: { part: "at" } });
  if (reminder.at) {
    select.value = "at";
    const date = new Date(reminder.at);
    at.value = `${dayKey(date)}T${timeKey(date)}`;
  } else if (reminder.offset_minutes != null) {
    select.value = String(reminder.offset_minutes);
  } else {
    select.value = "at";
    at.value = `${addDays(todayKey(), 1)}T09:00`;
  }
  const sync = () => {
    at.hidden = select.value !== "at";
  };
  select.addEventListener("change", () => {
    if (select.value === "at" && !at.value) at.value = `${$("#task-due-date").value || addDays(todayKey(), 1)}T09:00`;
    sync();
    syncReminderHint();
  });
  sync();
  const row = el(
    "li",
    { class: "reminder-row" },
    icon("bell", "muted-icon"),
    select,
    at,
    el(
      "button",
      {
        type: "button",
        class: "icon-btn",
        "aria-label": "Remove reminder",
        on: {
          click: () => {
            // The focus stays in the reminders: on the next one, else on "Add reminder".
            const next = row.nextElementSibling;
            row.remove();
            syncReminderHint();
            (next ? next.querySelector(".rem-kind") : $("#add-reminder")).focus();
          },
        },
      },
      icon("x"),
    ),
  );
  $("#reminder-list").append(row);
  syncReminderHint();
  return row;
}

/** The reminders of the form; a row without a time is left out. The rows read carry `data-error-item`, so that the
 * server's errors about `reminders[n]` find their row (see showFormErrors). */
function readReminders() {
  return $$("#reminder-list .reminder-row").flatMap((row) => {
    const kind = row.querySelector(".rem-kind").value;
    const value = row.querySelector(".rem-at").value;
    row.toggleAttribute("data-error-item", kind !== "at" || Boolean(value));
    if (kind === "at") return value ? [{ at: value }] : [];
    return [{ offset_minutes: Number(kind) }];
  });
}

// ---------------------------------------------------------------------------------------------
// Recurrence

function fillRecurrence(rule, dueKey) {
  $("#repeat-frequency").value = rule ? rule.frequency : "";
  $("#repeat-interval").value = String(rule ? rule.interval || 1 : 1);
  for (const box of $$("#repeat-weekly input")) box.checked = Boolean(rule && (rule.by_weekday || []).includes(box.value));
  const days = rule ? rule.by_month_day || [] : [];
  const positions = rule ? rule.by_set_position || [] : [];
  const weekdays = rule ? rule.by_weekday || [] : [];
  const dueDay = dueKey ? Number(dueKey.slice(8, 10)) : null;
  let mode = "due";
  if (positions.length) mode = "weekday";
  else if (days.length === 1 && days[0] === -1) mode = "last";
  else if (days.length === 1 && days[0] !== dueDay) mode = "day";
  $(`#repeat-monthly input[value="${mode}"]`).checked = true;
  $("#repeat-month-day").value = String(days.length && days[0] > 0 ? days[0] : dueDay || 1);
  // "On the [first] [Friday]": the rule's, or the due date's place in its month.
  const anchor = dueKey || todayKey();
  const shownPosition = positions.length === 1 && [1, 2, 3, 4, -1].includes(positions[0]);
  $("#repeat-set-position").value = String(shownPosition ? positions[0] : positionOfDay(Number(anchor.slice(8, 10))));
  $("#repeat-set-weekday").value = weekdays.length === 1 && positions.length ? weekdays[0] : WEEKDAYS[weekdayOf(anchor) - 1];
  // A yearly rule's day otherwise follows its due date (sent without one, the server takes the due date's).
  const shown = rule && rule.frequency === "yearly" ? !positions.length && !days.includes(-1) : positions.length ? shownPosition && weekdays.length === 1 : days.length <= 1;
  monthDaysUntouched =
    rule && !shown ? { frequency: rule.frequency, days: { by_month_day: days, by_weekday: weekdays, by_set_position: positions } } : null;
  $("#repeat-hours").value = rule && rule.by_hour ? rule.by_hour.join(", ") : "";
  $("#repeat-from-completion").checked = Boolean(rule && rule.from_completion);
  $("#repeat-ends").value = rule && rule.until ? "until" : rule && rule.count ? "count" : "never";
  $("#repeat-until").value = rule && rule.until ? dayKey(new Date(rule.until)) : "";
  $("#repeat-count").value = String(rule && rule.count ? rule.count : 10);
  syncRepeat();
}

/** The rule as edited, in the API's shape, or null for "never". */
function readRecurrence() {
  const frequency = $("#repeat-frequency").value;
  if (!frequency) return null;
  // As typed ("", 0, 2.5 and 1001 included): `ruleProblem` says what is wrong with it, nothing is rounded silently.
  const interval = Number($("#repeat-interval").value);
  let days = { by_month_day: [], by_weekday: [], by_set_position: [] };
  if (frequency === "weekly") days.by_weekday = $$("#repeat-weekly input:checked").map((box) => box.value);
  if (monthDaysUntouched && monthDaysUntouched.frequency === frequency) {
    days = monthDaysUntouched.days;
  } else if (frequency === "monthly") {
    const mode = $('#repeat-monthly input[name="month-mode"]:checked').value;
    if (mode === "last") days.by_month_day = [-1];
    else if (mode === "day") days.by_month_day = [Math.max(1, Math.min(31, parseInt($("#repeat-month-day").value, 10) || 1))];
    else if (mode === "weekday") {
      days.by_weekday = [$("#repeat-set-weekday").value];
      days.by_set_position = [Number($("#repeat-set-position").value)];
    }
  }
  const ends = $("#repeat-ends").value;
  return {
    frequency,
    interval,
    ...days,
    by_hour: frequency === "daily" || frequency === "weekly" ? hoursOf($("#repeat-hours").value) : [],
    from_completion: $("#repeat-from-completion").checked,
    until: ends === "until" && $("#repeat-until").value ? $("#repeat-until").value : null,
    count: ends === "count" ? Number($("#repeat-count").value) : null,
  };
}

/** The hours typed into "Also at these hours" ("8, 14, 20", "8:00 20:00"); a word that is no hour goes as typed,
 * for the server to name it. */
function hoursOf(text) {
  return text
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map((word) => {
      const match = /^(\d{1,2})(?::00)?$/.exec(word);
      return match ? Number(match[1]) : word;
    });
}

function syncRepeat() {
  const frequency = $("#repeat-frequency").value;
  const fieldset = $("#repeat-frequency").closest("fieldset");
  fieldset.classList.toggle("repeating", Boolean(frequency));
  $("#repeat-weekly").hidden = frequency !== "weekly";
  $("#repeat-monthly").hidden = frequency !== "monthly";
  $("#repeat-hours-field").hidden = frequency !== "daily" && frequency !== "weekly";
  $("#repeat-unit").textContent = unitOf(frequency) + (Number($("#repeat-interval").value) === 1 ? "" : "s");
  const ends = $("#repeat-ends").value;
  $("#repeat-until-field").hidden = ends !== "until";
  $("#repeat-count-field").hidden = ends !== "count";
  const text = $("#recurrence-text");
  const rule = readRecurrence();
  if (!rule) {
    text.hidden = true;
    text.textContent = "";
    return;
  }
  const due = $("#task-due-date").value;
  const time = $("#task-due-time").value;
  const problem = ruleProblem(rule, due);
  // A rule the form cannot read is described without what is wrong with it, and the problem said instead.
  const shown = problem ? { ...rule, by_hour: [], count: null, until: problem.field === "until" ? null : rule.until } : rule;
  // An interval that is no number of days is not shown as one ("every day" for 0): only how often it repeats.
  const sentence =
    problem && problem.field === "interval"
      ? `repeats ${frequency}`
      : describe(normalize(shown, due ? Number(due.slice(8, 10)) : null), due ? due + (time ? "T" + time : "") : null);
  text.replaceChildren(icon("repeat"), el("span", { text: sentenceCase(localTimes(sentence)) }));
  if (problem) text.append(el("span", { class: "recurrence-warning", text: ` — ${problem.message}` }));
  else if (!due) text.append(el("span", { class: "recurrence-warning", text: " — needs a due date" }));
  else if ((frequency === "hourly" || rule.by_hour.length) && !time) {
    text.append(el("span", { class: "recurrence-warning", text: " — needs a due time" }));
  } else text.append(el("span", { class: "recurrence-next", text: ` · starting ${shortDate(firstMatchingDay(rule, due))}` }));
  text.hidden = false;
}

/**
 * What is wrong with a rule as the form holds it, in words, with the part of the form (`field`) to fix: an interval
 * that is no whole number from 1 to 1000, hours that are no hours, a count below one, an end before the first due
 * date. Null when nothing is.
 */
function ruleProblem(rule, due) {
  if (!Number.isInteger(rule.interval) || rule.interval < 1 || rule.interval > MAX_INTERVAL) {
    return { field: "interval", message: `needs “Every” to be a whole number of ${unitOf(rule.frequency)}s from 1 to ${MAX_INTERVAL}` };
  }
  const hours = rule.by_hour || [];
  if (hours.some((hour) => !Number.isInteger(hour) || hour < 0 || hour > 23)) {
    return { field: "hours", message: "hours must be whole numbers from 0 to 23, e.g. 8, 14, 20" };
  }
  if (new Set(hours).size === 1) return { field: "hours", message: "needs two or more hours (once a day is the due time alone)" };
  if (rule.count !== null && (!Number.isInteger(rule.count) || rule.count < 1)) {
    return { field: "count", message: "needs a number of times of at least 1" };
  }
  if (rule.until && due && rule.until < due) return { field: "until", message: "would end before its first due date; pick a later end date" };
  return null;
}

// ---------------------------------------------------------------------------------------------
// Saving

/** Everything the form holds, as text to compare, without taking in a tag still being typed (as `payload` does). */
function snapshot() {
  return JSON.stringify([
    $("#task-title").value,
    $("#task-description").value,
    $("#task-priority").value,
    [...tags],
    [...invalidTags],
    $("#task-tags").value.trim(),
    $("#task-due-date").value,
    $("#task-due-time").value,
    $("#task-all-day").checked,
    readReminders(),
    readRecurrence(),
  ]);
}

/** Closes the dialog, after asking when the form holds changes that are not saved. */
async function requestClose() {
  if (!dialog.open) return;
  if (initial !== null && snapshot() !== initial) {
    const discard = await confirmAction({
      title: "Discard your changes?",
      text: "What you changed in this task has not been saved.",
      confirm: "Discard",
    });
    if (!discard) return;
  }
  dialog.close();
}

function payload() {
  const date = $("#task-due-date").value;
  const time = $("#task-due-time").value;
  const allDay = $("#task-all-day").checked || !time;
  const pendingTag = $("#task-tags").value.trim();
  if (pendingTag) {
    addTags(pendingTag);
    $("#task-tags").value = "";
  }
  return {
    title: $("#task-title").value.trim(),
    description: $("#task-description").value,
    priority: $("#task-priority").value,
    tags: [...tags],
    due_at: date ? (allDay ? date : `${date}T${time}`) : null,
    all_day: date ? allDay : false,
    reminders: readReminders(),
    recurrence: readRecurrence(),
  };
}

/**
 * The fields of `fields` that differ from `before`. The due date and all-day go together, and with them the rule
 * as the form shows it: its day of the month follows the due date the user picked in this form.
 */
function changedFields(fields, before) {
  const changes = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!before || JSON.stringify(value) !== JSON.stringify(before[key])) changes[key] = value;
  }
  if ("due_at" in changes || "all_day" in changes) {
    changes.due_at = fields.due_at;
    changes.all_day = fields.all_day;
    if (fields.recurrence) changes.recurrence = fields.recurrence;
  }
  return changes;
}

async function save() {
  clearFormErrors(form);
  const fields = payload();
  if (!fields.title) {
    showFormErrors(form, { details: [{ field: "title", message: "is required" }] });
    $("#task-title").focus();
    return;
  }
  if (invalidTags.length) {
    showTagProblem();
    $("#task-tags").focus();
    return;
  }
  if (fields.recurrence && !fields.due_at) {
    showFormErrors(form, { details: [{ field: "recurrence", message: "needs a due date: pick the first one above" }] });
    $("#task-due-date").focus();
    return;
  }
  const problem = fields.recurrence && ruleProblem(fields.recurrence, $("#task-due-date").value);
  if (problem) {
    showFormErrors(form, { details: [{ field: "recurrence", message: problem.message }] });
    ({ interval: $("#repeat-interval"), hours: $("#repeat-hours"), count: $("#repeat-count"), until: $("#repeat-until") })[problem.field].focus();
    return;
  }
  // Hours of the day and hourly rules go by the due time's minute: an all-day task has none (said before the server
  // says it in its own words).
  if (fields.recurrence && fields.all_day && (fields.recurrence.frequency === "hourly" || fields.recurrence.by_hour.length)) {
    const what = fields.recurrence.frequency === "hourly" ? "to repeat by the hour" : "for its times of day";
    const fix = $("#task-all-day").checked ? "untick All day and pick a time" : "pick a time for the due date";
    showFormErrors(form, { details: [{ field: "recurrence", message: `needs a due time ${what}: ${fix}` }] });
    $($("#task-all-day").checked ? "#task-all-day" : "#task-due-time").focus();
    return;
  }
  if (!fields.due_at && fields.reminders.some((reminder) => "offset_minutes" in reminder)) {
    showFormErrors(form, {
      details: [{ field: "reminders", message: "before the due date need a due date: pick one above, or remind at a time" }],
    });
    $("#task-due-date").focus();
    return;
  }
  // A rule set on days the due date is not one of starts on the first of them ("every Wednesday" of a task due on a
  // Monday), as the assistant and the terminal start it.
  if (fields.recurrence && fields.due_at && (!editing || JSON.stringify(fields.recurrence) !== JSON.stringify(opened && opened.recurrence))) {
    const day = fields.due_at.slice(0, 10);
    const first = firstMatchingDay(fields.recurrence, day);
    if (first !== day) {
      fields.due_at = first + fields.due_at.slice(10);
      $("#task-due-date").value = first;
    }
  }
  const button = $("#task-save");
  const original = editing;
  const changes = original ? changedFields(fields, opened) : fields;
  if (original && Object.keys(changes).length === 0) {
    dialog.close();
    return;
  }
  const buttons = [button, $("#task-conflict-overwrite"), $("#task-conflict-reload")];
  for (const control of buttons) control.disabled = true;
  try {
    const answer = original ? await send(original.id, changes) : { task: await api.createTask(fields) };
    if (answer.conflict) {
      // Unless the dialog went meanwhile (closed, or opened on another task): nothing was saved, nothing to say.
      if (editing === original && dialog.open) showConflict(answer.conflict, answer.fields);
      return;
    }
    focusTaskId = answer.task.id;
    dialog.close();
    hooks.saved(answer.task, !original);
  } catch (error) {
    if (error.status === 404 && original) {
      dialog.close();
      hooks.deleted(original.id);
      toast("That task no longer exists.", { kind: "error" });
    } else {
      // Said next to the field, which is brought into view with the focus (the box at the top may be scrolled away).
      showFormErrors(form, error);
      revealFormErrors(form, $("#task-title"));
    }
  } finally {
    for (const control of buttons) control.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Changed elsewhere meanwhile

/**
 * Sends `changes` made on the version of the task in `base` (If-Match): a change made meanwhile elsewhere (another
 * tab or device, the assistant, the terminal) is never written over unseen. When the server refuses (the task changed
 * since), the task is read again and becomes the base: changed there only in fields this save leaves alone (its
 * priority set, a reminder added, the task completed), the same changes are sent again, made on it; changed in one
 * of them too, answers `{conflict: task as it is now, fields: [names of those fields]}` for the user to choose, and
 * a save after that is made on what they were shown. Else answers `{task}`, as saved.
 */
async function send(id, changes) {
  for (let attempt = 1; ; attempt++) {
    try {
      return { task: await api.updateTask(id, changes, { ifMatch: base && base.etag }) };
    } catch (error) {
      if (!error.preconditionFailed) throw error;
    }
    const current = await api.getTask(id);
    hooks.refreshed(current);
    const fields = changedBetween(base && base.task, current, Object.keys(changes));
    base = { etag: api.etagOf(current), task: structuredClone(current) };
    // Changed again and again as fast as it is read: the user decides.
    if (fields.length || attempt >= 3) return { conflict: current, fields };
  }
}

/** What a task's field holds, made comparable between two versions of it (the parts of it the form edits). */
function comparable(task, key) {
  const value = task ? task[key] : undefined;
  if (key === "due_at") return value ? Date.parse(value) : null;
  if (key === "tags") return [...(value || [])].sort();
  if (key === "reminders") return (value || []).map((reminder) => [reminder.offset_minutes ?? null, reminder.at ? Date.parse(reminder.at) : null]);
  return value ?? null;
}

/** The labels of the fields among `keys` that differ between `before` and `after` (each once). */
function changedBetween(before, after, keys) {
  const changed = keys.filter((key) => JSON.stringify(comparable(before, key)) !== JSON.stringify(comparable(after, key)));
  return [...new Set(changed.map((key) => FIELD_LABELS[key] || key))];
}

/** A field of `task` as it is now, in words ("Title — now “Call the bank”"). */
function fieldNow(label, task) {
  const now = {
    Title: () => `“${task.title}”`,
    Priority: () => PRIORITY_NAMES[task.priority] || task.priority,
    Tags: () => (task.tags && task.tags.length ? task.tags.map((tag) => "#" + tag).join(" ") : "none"),
    "Due date": () => {
      const due = describeDue(task);
      return due ? due.title : "none";
    },
    Repeat: () => (task.recurrence ? localTimes(task.recurrence.text || task.recurrence.frequency) : "never"),
    Reminders: () => {
      const count = (task.reminders || []).length;
      return count ? `${count} reminder${count === 1 ? "" : "s"}` : "none";
    },
  }[label];
  return now ? `${label} — now ${now()}` : label;
}

/** Says in the dialog that the task changed elsewhere since the form was filled, and offers what to do. */
function showConflict(current, fields) {
  const box = $("#task-conflict");
  box.hidden = false;
  // Filled once shown: the alert region announces its new text.
  $("#task-conflict-text").textContent =
    "Your changes are not saved: this task was changed somewhere else (another tab or device, or the assistant) while you were editing it." +
    (fields.length ? " Changed there that you changed too:" : "");
  $("#task-conflict-fields").replaceChildren(...fields.map((label) => el("li", { text: fieldNow(label, current) })));
  $("#task-conflict-fields").hidden = !fields.length;
  box.scrollIntoView({ block: "nearest" });
  box.focus({ preventScroll: true });
}

function hideConflict() {
  const box = $("#task-conflict");
  if (!box) return;
  box.hidden = true;
  $("#task-conflict-text").textContent = "";
  $("#task-conflict-fields").replaceChildren();
}

/** "Discard mine and reload": the form shows the task as it is now, and a save is made on that. */
async function reloadTask() {
  const task = editing;
  if (!task) return;
  const controls = [$("#task-save"), $("#task-conflict-overwrite"), $("#task-conflict-reload")];
  for (const control of controls) control.disabled = true;
  try {
    const current = await api.getTask(task.id);
    if (editing !== task || !dialog.open) return;
    hooks.refreshed(current);
    openTaskDialog(current);
  } catch (error) {
    if (editing !== task || !dialog.open) return;
    if (error.status === 404) {
      dialog.close();
      hooks.deleted(task.id);
      toast("That task no longer exists.", { kind: "error" });
    } else {
      showFormErrors(form, error);
      revealFormErrors(form, $("#task-conflict-reload"));
    }
  } finally {
    for (const control of controls) control.disabled = false;
  }
}
