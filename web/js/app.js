// Bootstrap and routing: signed out → log in / sign up; signed in → the app with its views
// (#/inbox, #/today, #/upcoming, #/overdue, #/completed, #/tag/NAME), keyboard shortcuts and live updates.

import * as api from "./api.js";
import { $, $$, isTyping, returnFocus, toast, toastError } from "./dom.js";
import { setTimeZone, timeZone, todayKey } from "./dates.js";
import { initAuth, resetAuthForms, showAuth } from "./views/auth.js";
import * as tasks from "./views/tasks.js";
import { initTaskDialog, openTaskDialog } from "./views/taskDialog.js";
import { focusQuickAdd, initQuickAdd, refreshQuickPreview, setQuickAddFeatures } from "./views/quickAdd.js";
import { chatAvailable, initChat, isChatOpen, resetChat, setChatFeatures, toggleChat } from "./views/chat.js";
import * as notifications from "./views/notifications.js";
import { initSettings, openSettings } from "./views/settings.js";

const VIEWS = ["inbox", "today", "upcoming", "overdue", "completed"];
let started = false;
let authMessage = null;
// What had the focus when the shortcuts dialog opened: it gets it back.
let helpOpener = null;

// ---------------------------------------------------------------------------------------------
// Routing

function parseHash() {
  const match = /^#\/([^/?]*)\/?([^?]*)/.exec(location.hash || "");
  return match ? { page: match[1], arg: decoded(match[2] || "") } : { page: "", arg: "" };
}

/** A part of the address as the user meant it ("a%20b" is "a b"); a stray "%" stays as typed. */
function decoded(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function route() {
  const { page, arg } = parseHash();
  if (!api.token()) {
    stopApp();
    showScreen("auth");
    if (page !== "login" && page !== "signup") history.replaceState(null, "", "#/login");
    showAuth(page === "signup" ? "signup" : "login", authMessage);
    authMessage = null;
    return;
  }
  if (!started) startApp();
  if (page === "tag" && arg) {
    tasks.showView("tag", arg);
  } else if (VIEWS.includes(page)) {
    tasks.showView(page);
  } else {
    history.replaceState(null, "", "#/inbox");
    tasks.showView("inbox");
  }
  // Quick add takes the view's day or tag: what the preview says follows the view.
  refreshQuickPreview();
  setNav(false);
}

function showScreen(name) {
  $("#auth-screen").hidden = name !== "auth";
  $("#app-screen").hidden = name !== "app";
}

// ---------------------------------------------------------------------------------------------
// Session

function startApp() {
  started = true;
  showScreen("app");
  showUser(api.currentUser());
  refreshProfile();
  tasks.refreshTags();
  api.capabilities().then((found) => {
    if (!started) return;
    setQuickAddFeatures(found);
    setChatFeatures(found);
    notifications.setNotificationFeatures(found);
    if (found.live) api.live.start({ probe: found.live !== "listed" });
  });
}

function stopApp() {
  if (!started) return;
  started = false;
  api.live.stop();
  tasks.resetTasks();
  resetChat();
  notifications.resetNotifications();
  for (const dialog of $$("dialog[open]")) dialog.close();
}

/** Shows `user` (from this tab, another tab or the server); a new time zone re-reads the list in it. */
function applyUser(user) {
  if (!user) return;
  const before = timeZone();
  showUser(user);
  if (started && timeZone() !== before) {
    tasks.reload();
    notifications.load();
    refreshQuickPreview();
  }
}

let profileRequest = null;

/** Reads the account again (its time zone or name may have changed in another session, the CLI…) and shows it. */
function refreshProfile() {
  if (!started || profileRequest) return;
  profileRequest = api
    .me()
    .then(applyUser)
    .catch(() => {})
    .finally(() => (profileRequest = null));
}

function openSettingsDialog() {
  $("#account-menu").open = false;
  openSettings(api.currentUser());
}

function showUser(user) {
  if (!user) return;
  setTimeZone(user.timezone);
  const name = user.name || user.email.split("@")[0];
  $("#account-name").textContent = name;
  $("#account-email").textContent = user.email;
  $("#account-zone").textContent = timeZone().replace(/_/g, " ");
  $("#avatar").textContent = initialsOf(user.name) || initialsOf(user.email.split("@")[0]) || "?";
}

/** The first letters of the first and the last word that have a letter: "Ada <b>Lovelace</b>" is "AL", "<img src=x> 🎉
 * Zoë" is "IZ", "Ada" is "A"; "" when no word has one. */
function initialsOf(text) {
  const letters = String(text || "")
    .split(/[\s._-]+/)
    .map((word) => (word.match(/\p{L}/u) || [""])[0])
    .filter(Boolean);
  const picked = letters.length > 1 ? [letters[0], letters[letters.length - 1]] : letters;
  return picked.join("").toUpperCase();
}

function logOut(message) {
  // Deletes still in their Undo window go while the session is there to send them.
  tasks.flushDeletes();
  api.clearSession();
  stopApp();
  resetAuthForms();
  authMessage = message || null;
  go("#/login");
}

// ---------------------------------------------------------------------------------------------
// Live updates

function onLiveEvent(event) {
  if (event.type.startsWith("task.")) tasks.applyEvent(event);
  else if (event.type === "reminder.due" || event.type.startsWith("notification")) notifications.handleEvent(event);
  // A reminder that fired changes its task's bell (no task event says so): show the task as it is now.
  if (event.type === "reminder.due") {
    const id = (event.task && event.task.id) ?? event.task_id;
    if (typeof id === "number") api.getTask(id).then((task) => tasks.upsertTask(task, { flash: false })).catch(() => {});
  }
}

function onLiveStatus(status, info) {
  const indicator = $("#live-status");
  indicator.hidden = status === "off" || status === "unavailable";
  indicator.dataset.state = status;
  const label = { live: "Live", connecting: "Connecting…", offline: "Reconnecting…", off: "Offline" }[status] || status;
  indicator.querySelector(".live-label").textContent = label;
  indicator.title = status === "live" ? "Changes from other devices appear instantly" : "Live updates paused; reconnecting";
  $("#offline-banner").hidden = status !== "offline";
  // Connected (again): the account may have changed meanwhile, and no event says so.
  if (status === "live") refreshProfile();
  if (status === "live" && info.reconnected) {
    // Events sent while we were away are gone: catch up.
    tasks.reload();
    tasks.refreshTags();
    notifications.load();
  }
}

// ---------------------------------------------------------------------------------------------
// Opening tasks

function newTask() {
  const { page, arg } = parseHash();
  const defaults = {};
  if (page === "today") defaults.due_date = todayKey();
  if (page === "tag" && arg) defaults.tags = [arg];
  openTaskDialog(null, defaults);
}

async function openTaskById(id) {
  try {
    openTaskDialog(await api.getTask(id));
  } catch (error) {
    toastError(error, "Couldn’t open the task");
  }
}

function taskSaved(task, created) {
  tasks.upsertTask(task);
  tasks.scheduleTagRefresh();
  toast(`${created ? "Added" : "Saved"} “${task.title}”${tasks.whereIs(task)}`, { kind: "success" });
}

// ---------------------------------------------------------------------------------------------
// Navigation drawer (phones), menus

function setNav(open) {
  document.body.classList.toggle("nav-open", open);
  $("#scrim").hidden = !open;
  $("#nav-toggle").setAttribute("aria-expanded", String(open));
}

function openHelp() {
  helpOpener = document.activeElement;
  $("#account-menu").open = false;
  $("#help-dialog").showModal();
}

/** The shortcuts dialog closed: the focus goes back to what opened it (the account menu when that was in it). */
function helpClosed() {
  const menu = helpOpener && helpOpener.closest && helpOpener.closest("#account-menu");
  returnFocus($("#help-dialog"), helpOpener, menu && menu.querySelector("summary"), $("#main"));
  helpOpener = null;
}

// ---------------------------------------------------------------------------------------------
// Keyboard shortcuts

let pendingG = 0;

function onKeydown(event) {
  if (!started || $("#app-screen").hidden) return;
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (document.querySelector("dialog[open]")) return;
  if (event.key === "Escape") {
    if (isTyping(event.target)) return;
    if (notifications.isPanelOpen()) notifications.dismissPanel();
    else if ($("#account-menu").open) $("#account-menu").open = false;
    else if ($("#filter-priority").open) $("#filter-priority").open = false;
    else if (document.body.classList.contains("nav-open")) setNav(false);
    else if (isChatOpen()) toggleChat(false);
    else tasks.escape();
    return;
  }
  if (isTyping(event.target)) return;

  if (pendingG && Date.now() - pendingG < 1500) {
    pendingG = 0;
    const target = { i: "inbox", t: "today", u: "upcoming", o: "overdue", c: "completed" }[event.key];
    if (target) {
      event.preventDefault();
      go("#/" + target);
      return;
    }
  }
  pendingG = 0;

  const actions = {
    "/": () => {
      const search = $("#search-input");
      search.focus();
      search.select();
    },
    n: newTask,
    q: focusQuickAdd,
    c: () => chatAvailable() && toggleChat(),
    "?": openHelp,
    j: () => tasks.moveFocus(1),
    k: () => tasks.moveFocus(-1),
    e: () => tasks.editFocused(),
    x: () => tasks.selectFocused(),
    d: () => tasks.completeFocused(),
    z: () => tasks.undoLastDelete(),
    g: () => (pendingG = Date.now()),
  };
  const action = actions[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
}

// ---------------------------------------------------------------------------------------------
// Start

function init() {
  api.onUnauthorized(() => logOut("Your session has ended. Please log in again."));
  initAuth({ signedIn: () => go("#/inbox") });
  tasks.initTasks({ edit: (task) => openTaskDialog(task) });
  initTaskDialog({
    saved: taskSaved,
    deleted: (id) => tasks.removeTask(id),
    deleteTask: (task) => tasks.deleteTasks([task]),
    tagNames: () => tasks.tagNames(),
    // Read again after a save was refused (changed elsewhere): the list shows it as it is, even with live updates off.
    refreshed: (task) => {
      tasks.upsertTask(task, { flash: false });
      tasks.scheduleTagRefresh();
    },
  });
  initQuickAdd({
    created: (task) => (tasks.scheduleTagRefresh(), tasks.upsertTask(task), tasks.whereIs(task)),
    edit: (task) => openTaskDialog(task),
    // Added in Today without a date, a task is due today (as it would be in Todoist); in a tag's view, it has that tag.
    defaultDay: () => (tasks.currentView() === "today" ? "today" : null),
    defaultTag: () => (tasks.currentView() === "tag" ? tasks.currentTag() : null),
  });
  initChat({
    toolsRan: () => {
      // Live updates bring the changes too; a reload also covers a connection that is still catching up.
      tasks.reload();
      tasks.scheduleTagRefresh();
    },
  });
  notifications.initNotifications({ openTask: openTaskById });
  api.live.onEvent(onLiveEvent);
  api.live.onStatus(onLiveStatus);

  $("#new-task-btn").addEventListener("click", newTask);
  $("#logout-btn").addEventListener("click", () => logOut());
  $("#shortcuts-btn").addEventListener("click", openHelp);
  initSettings({ userChanged: applyUser });
  $("#settings-btn").addEventListener("click", openSettingsDialog);
  // The account may have changed elsewhere (its time zone through the CLI, another window): look again when the tab
  // comes back or the window gets the focus.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refreshProfile();
  });
  window.addEventListener("focus", refreshProfile);
  $("#help-link").addEventListener("click", openHelp);
  $("#help-dialog").addEventListener("close", helpClosed);
  for (const button of $$("#help-dialog [data-close]")) button.addEventListener("click", () => $("#help-dialog").close());
  $("#nav-toggle").addEventListener("click", () => setNav(!document.body.classList.contains("nav-open")));
  $("#scrim").addEventListener("click", () => setNav(false));
  $("#sidebar").addEventListener("click", (event) => {
    if (event.target.closest("a")) setNav(false);
  });
  document.addEventListener("click", (event) => {
    const menu = $("#account-menu");
    if (menu.open && !menu.contains(event.target)) menu.open = false;
  });
  // Light-dismiss for dialogs: a click on the backdrop closes them.
  for (const dialog of $$("dialog")) {
    dialog.addEventListener("mousedown", (event) => {
      if (event.target === dialog) {
        const box = dialog.getBoundingClientRect();
        const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
        // As Escape does: a dialog may ask first (the task dialog, when something was changed).
        if (!inside && dialog.dispatchEvent(new Event("cancel", { cancelable: true }))) dialog.close();
      }
    });
  }
  document.addEventListener("keydown", onKeydown);
  window.addEventListener("storage", (event) => {
    // Logged out (or in as someone else) in another tab.
    if (event.key === "taskpilot.token") {
      stopApp();
      route();
    } else if (event.key === "taskpilot.user" && started) {
      // Changed in another tab (its time zone, say).
      applyUser(api.currentUser());
    }
  });
  window.addEventListener("hashchange", route);
  route();
}

init();
