// The task list: views (Inbox, Today, Upcoming, Overdue, Completed, a tag), search, filters, sort,
// paging, completion, multi-select with bulk actions, and live changes applied in place.

import * as api from "../api.js";
import { $, $$, confirmAction, el, icon, toast, toastError, undoWindow } from "../dom.js";
import { dayKey, describeDue, dueRange, groupLabel, localTimes, longDate, todayKey } from "../dates.js";
import { plainFirstLine } from "../markdown.js";
import { sentenceCase } from "../recurrence.js";
import { TAG_RULE, isValidTag, normalizeTag } from "../tags.js";

const PAGE_SIZE = 50;
const PRIORITY_LABELS = { urgent: "Urgent", high: "High", medium: "Medium", low: "Low", none: "No priority" };
const PRIORITY_RANK = { none: 0, low: 1, medium: 2, high: 3, urgent: 4 };

const VIEWS = {
  inbox: { title: "Inbox", status: "pending", due: "", sort: "created_at:desc", empty: ["Inbox zero", "Nothing left to do. Add a task above, or press n."] },
  today: { title: "Today", status: "pending", due: "today", sort: "due_at:asc", empty: ["Nothing due today", "Enjoy the free time — or plan something with q."] },
  upcoming: { title: "Upcoming", status: "pending", due: "upcoming", sort: "due_at:asc", empty: ["Nothing scheduled", "Tasks with a due date from today on show up here."] },
  overdue: { title: "Overdue", status: "pending", due: "overdue", sort: "due_at:asc", empty: ["Nothing overdue", "You’re on top of things."] },
  completed: { title: "Completed", status: "completed", due: "", sort: "updated_at:desc", empty: ["Nothing completed yet", "Finished tasks land here."] },
  tag: { title: "", status: "pending", due: "", sort: "created_at:desc", empty: ["No open tasks here", "Tag a task to see it in this list."] },
};

const state = {
  view: "inbox",
  tag: "",
  filters: { status: "pending", priorities: [], tag: "", due: "", sort: "created_at:desc", q: "" },
  items: [],
  nextCursor: null,
  loading: false,
  loaded: false,
  error: null,
  selected: new Set(),
  selecting: false,
  controller: null,
  seq: 0,
  tags: [],
};

let hooks = { edit: () => {} };

// The newest version seen of each task (its updated_at in ms; Infinity once deleted), so that an older
// snapshot (a late event, a delayed update, a page fetched before a change) never overwrites a newer one.
const versions = new Map();
// Changes that arrived while a page was loading, applied again on top of that page.
const changedWhileLoading = new Map();

function versionOf(task) {
  return Date.parse(task.updated_at) || 0;
}

function isStale(task) {
  const known = versions.get(task.id);
  return known !== undefined && versionOf(task) < known;
}

function remember(task) {
  versions.set(task.id, Math.max(versions.get(task.id) ?? 0, versionOf(task)));
}

// A delete waits out the Undo window of its toast before the DELETE is sent: until then its tasks are only hidden here,
// so Undo puts them back as they were (same id, reminders, rule) with nothing to recreate. Each delete (one task, or
// the tasks of a bulk delete) is a batch: `{tasks: Map of id → newest version, shown: ids that were in the list,
// list: the list they were in (see listKey), state: waiting | sending | undone | dropped, close: closes its toast}`.
const pendingDeletes = new Map();
// The batches still waiting, oldest first (z undoes the last).
let waitingBatches = [];
// Bumped when the session ends: answers to deletes sent before then no longer touch the list.
let deleteGeneration = 0;
let tagListeners = [];

// ---------------------------------------------------------------------------------------------
// Setup

/** Wires the list; `edit(task)` opens the task dialog. */
export function initTasks({ edit }) {
  hooks.edit = edit;

  $("#filter-status").addEventListener("change", (event) => setFilter({ status: event.target.value }));
  $("#filter-tag").addEventListener("change", (event) => setFilter({ tag: event.target.value }));
  $("#filter-due").addEventListener("change", (event) => setFilter({ due: event.target.value }));
  $("#filter-sort").addEventListener("change", (event) => setFilter({ sort: event.target.value }));
  for (const box of $$("#filter-priority input")) {
    box.addEventListener("change", () => setFilter({ priorities: $$("#filter-priority input:checked").map((input) => input.value) }));
  }
  $("#clear-filters").addEventListener("click", () => resetFilters());
  $("#filters-toggle").addEventListener("click", (event) => {
    const open = !$("#filters").classList.contains("open");
    $("#filters").classList.toggle("open", open);
    event.currentTarget.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("click", (event) => {
    const menu = $("#filter-priority");
    if (menu.open && !menu.contains(event.target)) menu.open = false;
  });

  let searchTimer = null;
  const search = $("#search-input");
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => setFilter({ q: search.value.trim() }), 200);
  });
  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    setFilter({ q: search.value.trim() });
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      if (search.value) {
        search.value = "";
        setFilter({ q: "" });
      } else {
        search.blur();
      }
    }
  });

  $("#load-more").addEventListener("click", () => load({ append: true }));
  if ("IntersectionObserver" in window) {
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting) && state.nextCursor && !state.loading) load({ append: true });
    });
    observer.observe($("#load-more"));
  }

  $("#select-mode").addEventListener("click", () => setSelecting(!state.selecting));
  $("#select-all").addEventListener("change", (event) => {
    state.selected = event.target.checked ? new Set(state.items.map((task) => task.id)) : new Set();
    render();
  });
  $("#bulk-complete").addEventListener("click", () => bulk("complete"));
  $("#bulk-reopen").addEventListener("click", () => bulk("reopen"));
  $("#bulk-delete").addEventListener("click", () => bulk("delete"));
  $("#bulk-cancel").addEventListener("click", () => setSelecting(false));

  const list = $("#task-list");
  list.addEventListener("change", onListChange);
  list.addEventListener("click", onListClick);
  list.addEventListener("keydown", onListKeydown);

  // Leaving the page ends every Undo window: the deletes waiting go at once. So does hiding it (another tab, the
  // phone's home screen), after which the page may be ended without a pagehide. No beforeunload: it keeps pages out of
  // the back/forward cache, and pagehide comes in every case it would.
  window.addEventListener("pagehide", flushDeletes);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flushDeletes();
  });
}

/** Shows a view: inbox, today, upcoming, overdue, completed, or tag with `tag`. Resets filters to the view's. */
export function showView(view, tag = "") {
  state.view = VIEWS[view] ? view : "inbox";
  state.tag = state.view === "tag" ? tag : "";
  const preset = VIEWS[state.view];
  state.filters = { status: preset.status, priorities: [], tag: state.tag, due: preset.due, sort: savedSort() || preset.sort, q: "" };
  $("#search-input").value = "";
  state.selected.clear();
  state.selecting = false;
  for (const link of $$("#sidebar a[data-view], #tag-list a")) {
    const active = state.view === "tag" ? link.dataset.tag === state.tag : link.dataset.view === state.view;
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const title = state.view === "tag" ? "#" + state.tag : preset.title;
  $("#view-title").textContent = title;
  syncControls();
  state.items = [];
  state.loaded = false;
  load();
  scheduleTagRefresh();
  refreshOverdueBanner();
}

/** The tag filtered on when it is none the server could hold (an address typed or pasted: "#/tag/a b"), else "". */
function invalidTag() {
  return state.filters.tag && !isValidTag(state.filters.tag) ? state.filters.tag : "";
}

/** A tag that cannot be: said in words (see render), nothing asked of the server. */
function showInvalidTag() {
  dropLoaded({ loaded: true });
  state.error = null;
  render();
}

/** Stops any load and forgets the rows; `loaded` says whether the empty list is the answer. */
function dropLoaded({ loaded }) {
  if (state.controller) state.controller.abort();
  state.seq++;
  state.items = [];
  state.nextCursor = null;
  state.loaded = loaded;
  state.loading = false;
}

/** In Today, a banner counts the overdue tasks (they are not due today, but want attention). */
async function refreshOverdueBanner() {
  const banner = $("#overdue-banner");
  if (state.view !== "today") {
    banner.hidden = true;
    return;
  }
  try {
    // Overdue from earlier days: today's tasks whose time has passed are in the list itself.
    const page = await api.listTasks({ status: "pending", overdue: "true", due_before: todayKey(), limit: 100, sort: "due_at:asc" });
    if (state.view !== "today") return;
    // A task deleted with its Undo still on offer is not counted: it has left the list already.
    const count = page.items.filter((task) => !waitingDelete(task.id)).length;
    $("#overdue-banner-text").textContent =
      count === 0 ? "" : `${count}${page.next_cursor ? "+" : ""} overdue ${count === 1 ? "task" : "tasks"} from earlier days`;
    banner.hidden = count === 0;
  } catch {
    banner.hidden = true;
  }
}

/** The view shown: "today", "upcoming", "inbox", a tag's… */
export function currentView() {
  return state.view;
}

/** The tag whose view is shown ("" outside a tag's view). */
export function currentTag() {
  return state.tag;
}

/** Forgets everything loaded (on log out). */
export function resetTasks() {
  deleteGeneration++;
  for (const batch of waitingBatches) {
    batch.state = "dropped";
    batch.close();
  }
  waitingBatches = [];
  pendingDeletes.clear();
  dropLoaded({ loaded: false });
  state.selected.clear();
  state.selecting = false;
  versions.clear();
  changedWhileLoading.clear();
  $("#task-list").replaceChildren();
}

/** Reloads the current list from the first page (keeps filters). */
export function reload() {
  return load();
}

// ---------------------------------------------------------------------------------------------
// Filters

function presetFilters() {
  const preset = VIEWS[state.view];
  return { status: preset.status, priorities: [], tag: state.tag, due: preset.due, sort: preset.sort, q: "" };
}

/** The sort last chosen in this view by the signed-in user, kept across reloads (in this browser). */
function savedSort() {
  try {
    return localStorage.getItem(api.userKey(`sort.${state.view}`));
  } catch {
    return null;
  }
}

function saveSort(sort) {
  try {
    const key = api.userKey(`sort.${state.view}`);
    if (sort === VIEWS[state.view].sort) localStorage.removeItem(key);
    else localStorage.setItem(key, sort);
  } catch {
    // Storage may be unavailable (private mode): the sort then lasts until the page is left.
  }
}

function setFilter(changes) {
  Object.assign(state.filters, changes);
  if ("sort" in changes) saveSort(changes.sort);
  syncControls();
  load();
}

function resetFilters() {
  saveSort(VIEWS[state.view].sort);
  state.filters = presetFilters();
  $("#search-input").value = "";
  syncControls();
  load();
}

function isFiltered() {
  const preset = presetFilters();
  const current = state.filters;
  return (
    current.status !== preset.status ||
    current.priorities.length > 0 ||
    current.tag !== preset.tag ||
    current.due !== preset.due ||
    current.sort !== preset.sort ||
    current.q !== ""
  );
}

function syncControls() {
  const filters = state.filters;
  $("#filter-status").value = filters.status;
  $("#filter-due").value = filters.due;
  $("#filter-sort").value = filters.sort;
  ensureTagOption(filters.tag);
  $("#filter-tag").value = filters.tag;
  for (const box of $$("#filter-priority input")) box.checked = filters.priorities.includes(box.value);
  const priorities = filters.priorities;
  $("#filter-priority-value").textContent =
    priorities.length === 0 ? "Any" : priorities.length === 1 ? PRIORITY_LABELS[priorities[0]] : `${priorities.length} selected`;
  $("#filter-priority").classList.toggle("active", priorities.length > 0);
  for (const [id, active] of [
    ["#filter-status", filters.status !== VIEWS[state.view].status],
    ["#filter-tag", filters.tag !== state.tag],
    ["#filter-due", filters.due !== VIEWS[state.view].due],
    ["#filter-sort", filters.sort !== VIEWS[state.view].sort],
  ]) {
    $(id).closest(".filter").classList.toggle("active", active);
  }
  $("#clear-filters").hidden = !isFiltered();
}

/**
 * A search as the list asks for it: its "#words" that are tags ("#work") filter on those tags, the other words are
 * searched in the text. `{text, tags}`.
 */
function searchTerms(q) {
  const words = [];
  const tags = [];
  for (const word of q.split(/\s+/).filter(Boolean)) {
    const tag = word.startsWith("#") ? normalizeTag(word) : "";
    if (isValidTag(tag)) tags.push(tag);
    else words.push(word);
  }
  return { text: words.join(" "), tags };
}

/** The list parameters of API v1 for the current filters. */
function query() {
  const filters = state.filters;
  const params = { status: filters.status, sort: filters.sort, limit: PAGE_SIZE };
  if (filters.priorities.length) params.priority = filters.priorities.join(",");
  const search = searchTerms(filters.q || "");
  const tags = [...new Set([filters.tag, ...search.tags].filter(Boolean))];
  if (tags.length) params.tags = tags.join(",");
  if (search.text) params.q = search.text;
  Object.assign(params, dueRange(filters.due));
  return params;
}

/** Whether a task belongs in the current list (the server's filter, approximated for live changes). */
function matches(task, params) {
  if (params.status === "pending" && task.completed) return false;
  if (params.status === "completed" && !task.completed) return false;
  if (params.priority && !params.priority.split(",").includes(task.priority)) return false;
  if (params.tags && !params.tags.split(",").every((tag) => task.tags.includes(tag))) return false;
  const due = task.due_at ? Date.parse(task.due_at) : null;
  if (params.due_after && (due === null || due < Date.parse(params.due_after))) return false;
  if (params.due_before && (due === null || due >= Date.parse(params.due_before))) return false;
  if (params.overdue === "true" && !task.overdue) return false;
  if (params.has_due === "false" && due !== null) return false;
  if (params.repeating === "true" && !task.recurrence) return false;
  if (params.q) {
    const haystack = `${task.title} ${task.description} ${task.tags.join(" ")}`.toLowerCase();
    if (!params.q.toLowerCase().split(/\s+/).filter(Boolean).every((word) => haystack.includes(word.replace(/\*$/, "")))) return false;
  }
  return true;
}

function sortValue(task, field) {
  switch (field) {
    case "due_at":
      return task.due_at ? Date.parse(task.due_at) : null;
    case "priority":
      return PRIORITY_RANK[task.priority] ?? 0;
    case "title":
      return task.title.toLowerCase();
    default:
      return Date.parse(task[field]);
  }
}

/** The server's order: each key in turn (tasks without a due date last), then the id. */
function compare(a, b) {
  const keys = state.filters.sort.split(",").map((part) => part.split(":"));
  for (const [field, direction] of keys) {
    const left = sortValue(a, field);
    const right = sortValue(b, field);
    if (left === right) continue;
    if (left === null) return 1;
    if (right === null) return -1;
    const order = left < right ? -1 : 1;
    return direction === "desc" ? -order : order;
  }
  const descending = keys[0] && keys[0][1] === "desc";
  return descending ? b.id - a.id : a.id - b.id;
}

// ---------------------------------------------------------------------------------------------
// Loading

async function load({ append = false } = {}) {
  if (append && (!state.nextCursor || state.loading)) return;
  if (invalidTag()) {
    showInvalidTag();
    return;
  }
  if (state.controller) state.controller.abort();
  const controller = new AbortController();
  state.controller = controller;
  const seq = ++state.seq;
  const params = query();
  if (append) params.cursor = state.nextCursor;
  state.loading = true;
  state.error = null;
  $("#task-section").setAttribute("aria-busy", "true");
  if (!append && !state.loaded) renderSkeleton();
  updateFooter();
  try {
    const page = await api.listTasks(params, controller.signal);
    if (seq !== state.seq) return;
    const fresh = page.items.filter((task) => !isStale(task));
    for (const task of fresh) remember(task);
    // Tasks deleted a moment ago are still on the server until their Undo window ends: not shown.
    const shown = fresh.filter((task) => !pendingDeletes.has(task.id));
    state.items = append ? dedupe(state.items.concat(shown)) : shown;
    state.nextCursor = page.next_cursor || null;
    state.loaded = true;
    // Changes that happened while the page was on its way win over it.
    for (const task of changedWhileLoading.values()) placeTask(task);
    changedWhileLoading.clear();
    state.items.sort(compare);
    if (!append) {
      const visible = new Set(state.items.map((task) => task.id));
      state.selected = new Set([...state.selected].filter((id) => visible.has(id)));
    }
  } catch (error) {
    if (error.name === "AbortError" || seq !== state.seq) return;
    state.error = error;
    // The rows shown were of other filters: the list says what went wrong instead (see render).
    if (!append) {
      state.items = [];
      state.nextCursor = null;
    }
    if (error.status !== 401) toastError(error, "Couldn’t load tasks");
  } finally {
    if (seq === state.seq) {
      state.loading = false;
      state.controller = null;
      $("#task-section").setAttribute("aria-busy", "false");
      render();
    }
  }
}

function dedupe(tasks) {
  const seen = new Set();
  return tasks.filter((task) => (seen.has(task.id) ? false : seen.add(task.id)));
}

// ---------------------------------------------------------------------------------------------
// Changes from elsewhere (the dialog, quick add, the assistant, other tabs over the WebSocket)

/** Puts a created or changed task in its place, or takes it out when it no longer belongs here. */
export function upsertTask(task, { flash = true } = {}) {
  if (isStale(task)) return state.items.some((item) => item.id === task.id);
  remember(task);
  if (state.loading) changedWhileLoading.set(task.id, task);
  const changed = placeTask(task);
  if (!changed) return false;
  state.items.sort(compare);
  render();
  const belongs = state.items.some((item) => item.id === task.id);
  if (flash && belongs) flashRow(task.id);
  return belongs;
}

/** Puts `task` where it belongs in the loaded items (or out); returns whether the items changed. */
function placeTask(task) {
  const index = state.items.findIndex((item) => item.id === task.id);
  const batch = pendingDeletes.get(task.id);
  // Changed while its delete waits (another tab, a reminder that fired): it stays hidden, and Undo brings this version.
  if (batch) batch.tasks.set(task.id, task);
  if (batch || versions.get(task.id) === Infinity) {
    if (index >= 0) state.items.splice(index, 1);
    return index >= 0;
  }
  const belongs = matches(task, query());
  if (index >= 0) {
    if (belongs) state.items[index] = task;
    else {
      state.items.splice(index, 1);
      state.selected.delete(task.id);
    }
    return true;
  }
  if (!belongs) return false;
  const last = state.items[state.items.length - 1];
  // Beyond the last loaded row the task belongs to a page not loaded yet.
  if (state.nextCursor && last && compare(task, last) > 0) return false;
  state.items.push(task);
  return true;
}

/**
 * Where a task just added or saved is, as words to put after its name: "" when the list shows it, " — further down
 * the list" when it belongs beyond the rows loaded so far, " — it’s not in this view" when the filters leave it out.
 */
export function whereIs(task) {
  if (state.items.some((item) => item.id === task.id)) return "";
  if (!matches(task, query())) return " — it’s not in this view";
  return state.nextCursor ? " — further down the list" : "";
}

/** Takes a task that is gone from the server out of the list (and out of a delete waiting to be sent). */
export function removeTask(id) {
  const batch = pendingDeletes.get(id);
  if (batch) {
    pendingDeletes.delete(id);
    batch.tasks.delete(id);
    // Deleted elsewhere meanwhile: nothing is left for its Undo to bring back.
    if (!batch.tasks.size) batch.close();
  }
  versions.set(id, Infinity);
  changedWhileLoading.delete(id);
  const index = state.items.findIndex((item) => item.id === id);
  if (index < 0) return;
  state.items.splice(index, 1);
  state.selected.delete(id);
  render();
}

/** Applies a live event: task.created|updated|completed|reopened|deleted. */
let bannerTimer = null;

export function applyEvent(event) {
  if (state.view === "today") {
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(refreshOverdueBanner, 300);
  }
  const task = event.task;
  if (event.type === "task.deleted") {
    removeTask(task ? task.id : event.task_id);
  } else if (task && typeof task.id === "number") {
    upsertTask(task);
  }
  scheduleTagRefresh();
}

function flashRow(id) {
  const row = $(`#task-list .task[data-id="${id}"]`);
  if (!row) return;
  row.classList.remove("flash");
  void row.offsetWidth;
  row.classList.add("flash");
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderSkeleton() {
  const list = $("#task-list");
  const group = el("ul", { class: "task-items skeleton", "aria-hidden": "true" });
  for (let i = 0; i < 5; i++) group.append(el("li", { class: "task skeleton-row" }, el("span", { class: "sk-circle" }), el("span", { class: "sk-line" })));
  list.replaceChildren(group);
  $("#list-empty").hidden = true;
}

function render() {
  const list = $("#task-list");
  const active = document.activeElement;
  const activeRow = active && active.closest ? active.closest("#task-list .task") : null;
  const focus = activeRow ? { id: activeRow.dataset.id, role: active.dataset.role || "row", index: rows().indexOf(activeRow) } : null;

  const groups = [];
  const grouped = state.filters.sort.startsWith("due_at:asc") && state.view !== "today" && state.items.length > 0;
  if (grouped) {
    let current = null;
    for (const task of state.items) {
      const key = task.due_at ? dayKey(new Date(task.due_at)) : "";
      const label = task.overdue && key < todayKey() ? "Overdue" : groupLabel(key);
      if (!current || current.label !== label) {
        current = { label, overdue: label === "Overdue", tasks: [] };
        groups.push(current);
      }
      current.tasks.push(task);
    }
  } else {
    groups.push({ label: null, tasks: state.items });
  }

  const sections = groups.map((group, index) => {
    const items = el("ul", { class: "task-items" }, group.tasks.map(taskRow));
    if (!group.label) return items;
    const headingId = `group-${index}`;
    items.setAttribute("aria-labelledby", headingId);
    return el(
      "section",
      { class: "task-group" + (group.overdue ? " overdue-group" : "") },
      el("h2", { class: "group-title", id: headingId }, group.label, el("span", { class: "group-count", text: String(group.tasks.length) })),
      items,
    );
  });
  list.replaceChildren(...(state.items.length ? sections : []));
  list.classList.toggle("selecting", state.selecting);

  const empty = $("#list-empty");
  empty.hidden = !((state.loaded || state.error) && !state.loading && state.items.length === 0);
  if (!empty.hidden && state.error) {
    // Never an empty list without a word: what went wrong, in the server's words (the footer offers Retry).
    $("#empty-title").textContent = "Couldn’t load these tasks";
    $("#empty-text").textContent = state.error.message;
  } else if (!empty.hidden && invalidTag()) {
    $("#empty-title").textContent = `“${invalidTag()}” isn’t a valid tag`;
    $("#empty-text").textContent = `No task can carry it: ${TAG_RULE}.`;
  } else if (!empty.hidden) {
    // A search among open tasks says where else to look: completed tasks are under the status filter.
    const searchedOpen = state.filters.q && state.filters.status === "pending";
    const [title, text] = isFiltered()
      ? [
          searchedOpen ? `No open task matches “${state.filters.q}”` : "No matching tasks",
          searchedOpen ? "Completed tasks are found with Status: All or Completed; or reset the filters." : "Try another search, or reset the filters.",
        ]
      : VIEWS[state.view].empty;
    $("#empty-title").textContent = state.view === "tag" && !isFiltered() ? `No open tasks tagged #${state.tag}` : title;
    $("#empty-text").textContent = text;
  }

  updateSubtitle();
  updateFooter();
  updateBulkBar();

  if (focus) {
    const row = $(`#task-list .task[data-id="${focus.id}"]`);
    const target = row && (focus.role === "row" ? row : row.querySelector(`[data-role="${focus.role}"]`));
    if (target) target.focus({ preventScroll: true });
    // The focused task left the list (completed, deleted): the focus goes to the task now in its place, or the
    // one before when it was the last, so that j and k go on from there.
    else if (!row && rows().length) rows()[Math.min(focus.index, rows().length - 1)].focus({ preventScroll: true });
  }
}

function updateSubtitle() {
  const sub = $("#view-sub");
  const count = state.items.length;
  // There is no total to ask for: with pages still to load the text counts what is shown ("50 shown · more below"),
  // and a count once everything is loaded ("130 tasks").
  let counted = "";
  if (state.loaded && !state.error && !invalidTag()) counted = state.nextCursor ? `${count} shown · more below` : `${count} ${count === 1 ? "task" : "tasks"}`;
  if (state.view === "today") sub.textContent = longDate(todayKey()) + (counted ? " · " + counted : "");
  else sub.textContent = counted;
}

function updateFooter() {
  const more = $("#load-more");
  more.hidden = !state.nextCursor;
  more.disabled = state.loading;
  more.textContent = state.loading && state.loaded ? "Loading…" : "Load more";
  const status = $("#list-status");
  status.replaceChildren();
  if (state.error) {
    status.append(
      "Couldn’t load tasks. ",
      el("button", { type: "button", class: "link-btn", text: "Retry", on: { click: () => load() } }),
    );
  } else if (state.loaded && !state.nextCursor && state.items.length > 8) {
    status.textContent = "That’s everything.";
  }
}

function taskRow(task) {
  const selected = state.selected.has(task.id);
  const row = el("li", {
    class: `task p-${task.priority}${task.completed ? " done" : ""}${selected ? " selected" : ""}`,
    dataset: { id: String(task.id) },
    tabindex: "-1",
  });
  row.append(
    el("input", {
      type: "checkbox",
      class: "select-box",
      "aria-label": `Select “${task.title}”`,
      checked: selected,
      dataset: { role: "select" },
    }),
    el("input", {
      type: "checkbox",
      class: "complete-box",
      "aria-label": task.completed ? `Reopen “${task.title}”` : `Complete “${task.title}”`,
      checked: task.completed,
      dataset: { role: "complete" },
    }),
  );

  const main = el("div", { class: "task-main" });
  main.append(el("button", { type: "button", class: "task-title", text: task.title, dataset: { role: "title" } }));
  // The description's first line as words, without its Markdown ("# Plan" is "Plan"): the dialog renders it all.
  const summary = task.description ? plainFirstLine(task.description) : "";
  if (summary) main.append(el("p", { class: "task-desc", text: summary }));

  const meta = el("div", { class: "task-meta" });
  const due = describeDue(task);
  if (due) {
    meta.append(
      el(
        "span",
        { class: `meta due due-${due.state}`, title: due.title + (task.overdue ? " — overdue" : "") },
        icon("calendar"),
        el("time", { datetime: task.due_at, text: due.text }),
        task.overdue ? el("span", { class: "sr-only", text: " (overdue)" }) : null,
      ),
    );
  }
  if (task.recurrence) {
    const repeats = localTimes(task.recurrence.text || "repeats");
    meta.append(el("span", { class: "meta repeat", title: sentenceCase(repeats) }, icon("repeat"), el("span", { class: "repeat-text", text: repeats })));
  }
  const pending = (task.reminders || []).filter((reminder) => !reminder.fired_at);
  if (pending.length) {
    meta.append(el("span", { class: "meta reminders", title: `${pending.length} reminder${pending.length > 1 ? "s" : ""}` }, icon("bell"), el("span", { class: "sr-only", text: "Reminders: " }), String(pending.length)));
  }
  for (const tag of task.tags) {
    meta.append(el("a", { class: "tag-chip", href: `#/tag/${encodeURIComponent(tag)}`, dataset: { tag } }, el("span", { "aria-hidden": "true", text: "#" }), tag));
  }
  if (meta.childElementCount) main.append(meta);
  row.append(main);

  if (task.priority !== "none") {
    row.append(el("span", { class: `prio-badge p-${task.priority}`, title: `Priority: ${PRIORITY_LABELS[task.priority]}` }, icon("flag"), PRIORITY_LABELS[task.priority]));
  }
  row.append(
    el(
      "div",
      { class: "task-actions" },
      el("button", { type: "button", class: "icon-btn", "aria-label": `Edit “${task.title}”`, dataset: { role: "edit" } }, icon("edit")),
      el("button", { type: "button", class: "icon-btn danger", "aria-label": `Delete “${task.title}”`, dataset: { role: "delete" } }, icon("trash")),
    ),
  );
  return row;
}

function taskOf(element) {
  const row = element.closest(".task");
  if (!row) return null;
  return state.items.find((task) => String(task.id) === row.dataset.id) || null;
}

// ---------------------------------------------------------------------------------------------
// Row interactions

function onListChange(event) {
  const target = event.target;
  const task = taskOf(target);
  if (!task) return;
  if (target.dataset.role === "select") {
    toggleSelected(task.id, target.checked);
  } else if (target.dataset.role === "complete") {
    setCompleted(task, target.checked);
  }
}

function onListClick(event) {
  const target = event.target.closest("button, a");
  if (!target) {
    // Clicking the row's empty space focuses it, so keyboard shortcuts apply to it.
    const row = event.target.closest(".task");
    if (row && !event.target.closest("input")) row.focus({ preventScroll: true });
    return;
  }
  const task = taskOf(target);
  if (!task) return;
  if (target.dataset.role === "title" || target.dataset.role === "edit") hooks.edit(task);
  else if (target.dataset.role === "delete") deleteTasks([task]);
}

function onListKeydown(event) {
  const row = event.target.closest(".task");
  if (!row || event.target !== row) return;
  if (event.key === "Enter") {
    event.preventDefault();
    const task = taskOf(row);
    if (task) hooks.edit(task);
  } else if (event.key === " ") {
    event.preventDefault();
    const task = taskOf(row);
    if (task) toggleSelected(task.id, !state.selected.has(task.id));
  }
}

function toggleSelected(id, on) {
  if (on) state.selected.add(id);
  else state.selected.delete(id);
  if (on) state.selecting = true;
  render();
}

function setSelecting(on) {
  state.selecting = on;
  if (!on) state.selected.clear();
  render();
  if (on) {
    const first = $("#task-list .select-box");
    if (first) first.focus();
  }
}

function updateBulkBar() {
  const bar = $("#bulk-bar");
  const count = state.selected.size;
  bar.hidden = !state.selecting;
  $("#select-mode").setAttribute("aria-pressed", String(state.selecting));
  $("#bulk-count").textContent = `${count} selected`;
  const all = $("#select-all");
  all.checked = count > 0 && count === state.items.length;
  all.indeterminate = count > 0 && count < state.items.length;
  const selectedTasks = state.items.filter((task) => state.selected.has(task.id));
  $("#bulk-complete").hidden = selectedTasks.length > 0 && selectedTasks.every((task) => task.completed);
  $("#bulk-reopen").hidden = !selectedTasks.some((task) => task.completed);
  for (const button of $$("#bulk-bar .bulk-actions button:not(#bulk-cancel)")) button.disabled = count === 0;
}

async function setCompleted(task, completed) {
  const row = $(`#task-list .task[data-id="${task.id}"]`);
  if (row) row.classList.toggle("done", completed);
  try {
    const updated = completed ? await api.completeTask(task.id) : await api.reopenTask(task.id);
    // Let the check mark be seen before the row leaves the list.
    setTimeout(() => upsertTask(updated, { flash: false }), matches(updated, query()) ? 0 : 350);
    if (completed) {
      toast(`Completed “${task.title}”`, {
        kind: "success",
        action: { label: "Undo", run: () => api.reopenTask(task.id).then((t) => upsertTask(t)).catch(toastError) },
      });
      // The next occurrence of a repeating task is created by the server; pick it up.
      if (task.recurrence && api.live.status !== "live") setTimeout(() => load(), 700);
    } else {
      toast(`Reopened “${task.title}”`, {
        kind: "success",
        action: { label: "Undo", run: () => api.completeTask(task.id).then((t) => upsertTask(t)).catch(toastError) },
      });
    }
    scheduleTagRefresh();
  } catch (error) {
    if (row) row.classList.toggle("done", !completed);
    const box = row && row.querySelector(".complete-box");
    if (box) box.checked = !completed;
    toastError(error, "Couldn’t update the task");
  }
}

async function bulk(action) {
  const ids = [...state.selected];
  if (!ids.length) return;
  const noun = ids.length === 1 ? "task" : "tasks";
  if (action === "delete") {
    // A selection is asked about first (a task deleted from its row or its dialog is not: its toast offers Undo).
    const ok = await confirmAction({
      title: `Delete ${ids.length} ${noun}?`,
      text: `The selected ${noun} will be deleted. You can undo this for a few seconds.`,
      confirm: "Delete",
    });
    if (!ok) return;
    const chosen = state.items.filter((task) => state.selected.has(task.id));
    state.selected.clear();
    state.selecting = false;
    deleteTasks(chosen);
    // The bar that held the focus is gone with the selection: the focus goes to the list.
    if (!document.activeElement || document.activeElement === document.body || document.activeElement.closest("#bulk-bar")) {
      (rows()[0] || $("#main")).focus({ preventScroll: true });
    }
    return;
  }
  try {
    const result = await api.bulkTasks(action, ids);
    const affected = result ? result.affected : ids.length;
    const verb = { complete: "Completed", reopen: "Reopened" }[action];
    state.selected.clear();
    state.selecting = false;
    toast(`${verb} ${affected} ${affected === 1 ? "task" : "tasks"}`, {
      kind: "success",
      action:
        action === "complete"
          ? { label: "Undo", run: () => api.bulkTasks("reopen", ids).then(() => load()).catch(toastError) }
          : undefined,
    });
    await load();
    scheduleTagRefresh();
  } catch (error) {
    toastError(error, "Couldn’t update the tasks");
  }
}

// ---------------------------------------------------------------------------------------------
// Deleting, with a few seconds to undo (see pendingDeletes)

/** The list shown, as far as where a task goes in it is concerned. */
function listKey() {
  return JSON.stringify([state.view, query()]);
}

/**
 * Deletes `chosen` tasks the way a user expects: they leave the list at once and a toast says so with an Undo; the
 * server deletes them when the toast's window ends (or the page is left), and puts them back if it refuses.
 */
export function deleteTasks(chosen) {
  const tasks = chosen
    .map((task) => state.items.find((item) => item.id === task.id) || task)
    .filter((task) => !pendingDeletes.has(task.id));
  if (!tasks.length) return;
  const batch = { tasks: new Map(), shown: new Set(), list: listKey(), state: "waiting", close: () => {} };
  for (const task of tasks) {
    batch.tasks.set(task.id, task);
    if (state.items.some((item) => item.id === task.id)) batch.shown.add(task.id);
    pendingDeletes.set(task.id, batch);
    changedWhileLoading.delete(task.id);
    state.selected.delete(task.id);
  }
  state.items = state.items.filter((task) => !pendingDeletes.has(task.id));
  waitingBatches.push(batch);
  render();
  // The sidebar's counts and Today's overdue banner leave the deleted tasks out from now on.
  scheduleTagRefresh();
  refreshOverdueBanner();
  batch.close = toast(tasks.length === 1 ? `Deleted “${tasks[0].title}”` : `Deleted ${tasks.length} tasks`, {
    kind: "success",
    timeout: undoWindow(),
    action: { label: "Undo", run: () => undoDelete(batch) },
    onExpire: () => sendDelete(batch),
  });
}

/**
 * The Undo window of `batch` is over: its DELETE goes, in a request that outlives the page (left while the request is
 * on its way, or left at once: see flushDeletes).
 */
function sendDelete(batch) {
  if (batch.state !== "waiting") return;
  batch.state = "sending";
  waitingBatches = waitingBatches.filter((waiting) => waiting !== batch);
  const ids = [...batch.tasks.keys()];
  if (!ids.length) return;
  const generation = deleteGeneration;
  const sent = ids.length === 1 ? api.deleteTask(ids[0], { keepalive: true }) : api.bulkTasks("delete", ids, { keepalive: true });
  sent
    .catch((error) => {
      // Already gone (deleted in another tab meanwhile): what was asked is done.
      if (error.status === 404) return null;
      throw error;
    })
    .then(
      () => {
        if (generation !== deleteGeneration) return;
        for (const id of ids) {
          if (pendingDeletes.get(id) === batch) pendingDeletes.delete(id);
          versions.set(id, Infinity);
        }
        scheduleTagRefresh();
      },
      (error) => {
        if (generation !== deleteGeneration) return;
        putBack(batch);
        toastError(error, ids.length === 1 ? "Couldn’t delete the task" : "Couldn’t delete the tasks");
      },
    );
}

/** Undo: the tasks of `batch` come back (nothing was sent). Returns whether there was anything to undo. */
function undoDelete(batch) {
  if (batch.state !== "waiting") return false;
  batch.state = "undone";
  waitingBatches = waitingBatches.filter((waiting) => waiting !== batch);
  // Undone with z: the toast goes too (closed now, it sends nothing).
  batch.close();
  const active = document.activeElement;
  const restored = putBack(batch);
  // The Undo button leaves with its toast: the focus goes to the task back in the list, not to the page.
  if (!active || active === document.body || active.closest("#toasts")) {
    const row = rows().find((item) => restored.includes(Number(item.dataset.id)));
    if (row) row.focus();
  }
  return true;
}

/** Shows the tasks of `batch` again where they were (the list's order puts them back in place); returns their ids. */
function putBack(batch) {
  const sameList = batch.list === listKey();
  for (const [id, task] of batch.tasks) {
    if (pendingDeletes.get(id) !== batch) continue;
    pendingDeletes.delete(id);
    if (state.loading) changedWhileLoading.set(id, task);
    // A row that was shown goes back even when it was the last one loaded (the next page starts after it).
    if (sameList && batch.shown.has(id) && matches(task, query()) && !state.items.some((item) => item.id === id)) state.items.push(task);
    else placeTask(task);
  }
  state.items.sort(compare);
  render();
  const restored = [...batch.tasks.keys()].filter((id) => state.items.some((item) => item.id === id));
  for (const id of restored) flashRow(id);
  scheduleTagRefresh();
  refreshOverdueBanner();
  return restored;
}

/** The task of `id` if it is deleted and its Undo still on offer (nothing sent yet). */
function waitingDelete(id) {
  const batch = pendingDeletes.get(id);
  return batch && batch.state === "waiting" ? batch.tasks.get(id) : undefined;
}

/**
 * The server's tag counts without the tasks deleted whose Undo is still on offer (the server still has them): a tag
 * left with none goes, as it will once the delete is sent.
 */
function withoutWaitingDeletes(tags) {
  const gone = new Map();
  for (const id of pendingDeletes.keys()) {
    const task = waitingDelete(id);
    for (const name of task?.tags || []) {
      const counts = gone.get(name) || { count: 0, open: 0 };
      counts.count += 1;
      if (task.status === "pending") counts.open += 1;
      gone.set(name, counts);
    }
  }
  if (!gone.size) return tags;
  return tags
    .map((tag) => {
      const less = gone.get(tag.name);
      if (!less) return tag;
      return { ...tag, count: tag.count - less.count, ...(tag.open == null ? {} : { open: tag.open - less.open }) };
    })
    .filter((tag) => tag.count > 0);
}

/** Undoes the last delete whose Undo window is still open (the z shortcut). Returns whether there was one. */
export function undoLastDelete() {
  const batch = waitingBatches[waitingBatches.length - 1];
  return batch ? undoDelete(batch) : false;
}

/**
 * Ends every Undo window now, which sends its delete: the page is being left (or hidden, after which it may be ended
 * without notice), or the user logs out.
 */
export function flushDeletes() {
  for (const batch of [...waitingBatches]) batch.close();
}

// ---------------------------------------------------------------------------------------------
// Keyboard helpers for app.js

function rows() {
  return $$("#task-list .task");
}

/** Moves the focus to the next (1) or previous (-1) task. */
export function moveFocus(delta) {
  const all = rows();
  if (!all.length) return;
  const current = document.activeElement && document.activeElement.closest ? document.activeElement.closest("#task-list .task") : null;
  let index = current ? all.indexOf(current) + delta : delta > 0 ? 0 : all.length - 1;
  index = Math.max(0, Math.min(all.length - 1, index));
  all[index].focus();
  all[index].scrollIntoView({ block: "nearest" });
}

function focusedTask() {
  const row = document.activeElement && document.activeElement.closest ? document.activeElement.closest("#task-list .task") : null;
  return row ? taskOf(row) : null;
}

export function editFocused() {
  const task = focusedTask();
  if (task) hooks.edit(task);
  return Boolean(task);
}

export function selectFocused() {
  const task = focusedTask();
  if (task) toggleSelected(task.id, !state.selected.has(task.id));
  return Boolean(task);
}

export function completeFocused() {
  const task = focusedTask();
  if (task) setCompleted(task, !task.completed);
  return Boolean(task);
}

/** Escape in the list: leaves selection mode. Returns whether it did something. */
export function escape() {
  if (state.selecting) {
    setSelecting(false);
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Tags (sidebar, filter and the dialog's suggestions)

let tagTimer = null;
export function scheduleTagRefresh() {
  clearTimeout(tagTimer);
  tagTimer = setTimeout(refreshTags, 300);
}

export async function refreshTags() {
  try {
    const tags = await api.listTags();
    state.tags = withoutWaitingDeletes(Array.isArray(tags) ? tags : []);
  } catch (error) {
    if (error.status !== 401) console.warn("tags", error);
    return;
  }
  const list = $("#tag-list");
  list.replaceChildren(
    ...state.tags.map((tag) =>
      el(
        "li",
        {},
        el(
          "a",
          { href: `#/tag/${encodeURIComponent(tag.name)}`, dataset: { tag: tag.name }, "aria-current": state.view === "tag" && state.tag === tag.name ? "page" : null },
          icon("hash"),
          el("span", { class: "nav-text", text: tag.name }),
          // Open tasks, as the tag's view lists them (a server without `open` counts every task).
          el("span", { class: "nav-count", text: String(tag.open ?? tag.count), "aria-label": `${tag.open ?? tag.count} open tasks` }),
        ),
      ),
    ),
  );
  $("#tag-empty").hidden = state.tags.length > 0;
  const select = $("#filter-tag");
  const value = state.filters.tag;
  select.replaceChildren(el("option", { value: "", text: "Any" }), ...state.tags.map((tag) => el("option", { value: tag.name, text: "#" + tag.name })));
  ensureTagOption(value);
  select.value = value;
  for (const listener of tagListeners) listener(state.tags.map((tag) => tag.name));
}

function ensureTagOption(name) {
  const select = $("#filter-tag");
  if (name && !Array.from(select.options).some((option) => option.value === name)) select.append(el("option", { value: name, text: "#" + name }));
}

/** `listener(names)` whenever the tag list is refreshed. */
export function onTags(listener) {
  tagListeners.push(listener);
}

export function tagNames() {
  return state.tags.map((tag) => tag.name);
}
