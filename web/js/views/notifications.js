// The notification tray (in-app notifications with an unread count) and reminders shown as browser
// notifications once the user allowed them.

import * as api from "../api.js";
import { $, el, icon, returnFocus, toast, toastError } from "../dom.js";
import { describeDue, localTimes, timeAgo } from "../dates.js";

let available = false;
let items = [];
let hooks = { openTask: () => {} };

/** Wires the tray; `openTask(id)` opens a task from a notification. */
export function initNotifications({ openTask }) {
  hooks = { openTask };
  $("#notif-btn").addEventListener("click", () => togglePanel());
  $("#notif-read-all").addEventListener("click", () => markAllRead());
  $("#notif-enable").addEventListener("click", async () => {
    let answer = "default";
    try {
      answer = await Notification.requestPermission();
    } finally {
      syncPermission();
    }
    if (answer === "denied") {
      toast("This browser blocks notifications for this site: allow them in the site's settings (the icon left of the address).", {
        kind: "error",
      });
    } else if (answer === "granted") {
      toast("Reminders will show as desktop notifications too.", { kind: "success" });
    }
  });
  $("#notif-list").addEventListener("click", (event) => {
    const button = event.target.closest("[data-notification]");
    if (!button) return;
    const item = items.find((entry) => String(entry.id) === button.dataset.notification);
    if (!item) return;
    markRead(item);
    if (item.task_id) {
      togglePanel(false);
      hooks.openTask(item.task_id);
    }
  });
  document.addEventListener("click", (event) => {
    if (!$("#notif-panel").hidden && !$("#notif-wrap").contains(event.target)) togglePanel(false);
  });
  $("#notif-panel").addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      dismissPanel();
    }
  });
}

/** Shows the tray when the server has notifications, and loads them. */
export function setNotificationFeatures(found) {
  available = found.notifications;
  $("#notif-wrap").hidden = !available;
  if (available) load();
}

/** Clears everything (on log out). */
export function resetNotifications() {
  items = [];
  render();
  togglePanel(false);
}

export function isPanelOpen() {
  return !$("#notif-panel").hidden;
}

export function togglePanel(open = $("#notif-panel").hidden) {
  $("#notif-panel").hidden = !open;
  $("#notif-btn").setAttribute("aria-expanded", String(open));
  if (open) {
    syncPermission();
    load();
  }
}

/** Closes the tray as Escape does: the focus, when it was in the tray or nowhere, goes back to the bell. */
export function dismissPanel() {
  togglePanel(false);
  returnFocus($("#notif-panel"), $("#notif-btn"));
}

function syncPermission() {
  $("#notif-permission").hidden = !("Notification" in window) || Notification.permission !== "default";
}

export async function load() {
  if (!available) return;
  try {
    const list = await api.listNotifications();
    items = Array.isArray(list) ? list : (list && list.items) || [];
    render();
  } catch (error) {
    if (error.status === 404) {
      api.disableFeature("notifications");
      setNotificationFeatures({ notifications: false });
    } else if (error.status !== 401) {
      console.warn("notifications", error);
    }
  }
}

function render() {
  const unread = items.filter((item) => !item.read_at).length;
  const badge = $("#notif-count");
  badge.textContent = unread > 99 ? "99+" : String(unread);
  badge.hidden = unread === 0;
  $("#notif-btn").setAttribute("aria-label", unread ? `Notifications, ${unread} unread` : "Notifications");
  $("#notif-read-all").hidden = unread === 0;
  $("#notif-empty").hidden = items.length > 0;
  $("#notif-list").replaceChildren(
    ...items.slice(0, 50).map((item) =>
      el(
        "li",
        { class: "notif" + (item.read_at ? "" : " unread") },
        el(
          "button",
          { type: "button", class: "notif-item", dataset: { notification: String(item.id) } },
          el("span", { class: "notif-icon" }, icon(item.kind === "reminder" ? "bell" : "sparkle")),
          el(
            "span",
            { class: "notif-text" },
            el("strong", { text: item.title || "Notification" }),
            item.body ? el("span", { class: "notif-body", text: friendlyTimes(item.body) }) : null,
            el("time", { datetime: item.created_at, text: timeAgo(item.created_at) }),
          ),
          item.read_at ? null : el("span", { class: "unread-dot", "aria-label": "unread" }),
        ),
      ),
    ),
  );
}

/** Timestamps and times inside server-written text ("Due 2026-12-01T09:00:00Z", "Due today 11:36") as the user reads
 * them in the list ("Due Tomorrow 9:00 AM", "Due today 11:36 AM"). */
function friendlyTimes(text) {
  const stamps = String(text).replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/g, (stamp) => {
    const due = describeDue({ due_at: stamp, all_day: false, overdue: false });
    return due ? due.text : stamp;
  });
  return localTimes(stamps);
}

async function markRead(item) {
  if (item.read_at) return;
  item.read_at = new Date().toISOString();
  render();
  try {
    await api.markNotificationRead(item.id);
  } catch (error) {
    item.read_at = null;
    render();
    toastError(error, "Couldn’t mark the notification as read");
  }
}

async function markAllRead() {
  const unread = items.filter((item) => !item.read_at);
  await Promise.all(unread.map((item) => markRead(item)));
}

/** Handles live events: `notification` (a stored notification), `notification.read` (read in another session) and `reminder.due`. */
export function handleEvent(event) {
  if (event.type === "notification.read") {
    const read = event.notification || {};
    const item = items.find((entry) => entry.id === read.id);
    if (item && !item.read_at) {
      item.read_at = read.read_at || new Date().toISOString();
      render();
    }
  } else if (event.type === "notification") {
    const item = event.notification || event.data || (event.id && event.title ? event : null);
    if (item && item.id != null) {
      if (!items.some((entry) => entry.id === item.id)) items.unshift(item);
      render();
    } else {
      load();
    }
    if (item && item.kind === "reminder") remind(item.title, item.body, item.task_id, `reminder-${item.task_id}`);
  } else if (event.type === "reminder.due") {
    const task = event.task || {};
    const dueAt = task.due_at || event.due_at;
    const due = dueAt ? describeDue({ due_at: dueAt, all_day: Boolean(task.all_day), overdue: false }) : null;
    remind(task.title || event.title || "Reminder", due ? `Due ${due.text}` : "", task.id ?? event.task_id, `reminder-${task.id ?? event.task_id}`);
    load();
  }
}

const recent = new Map();

/** A reminder once per task per minute, whichever event announced it: a toast, and a system notification if allowed. */
function remind(title, body, taskId, tag) {
  const now = Date.now();
  if (recent.has(tag) && now - recent.get(tag) < 60000) return;
  recent.set(tag, now);
  toast(`Reminder: ${title}${body ? " — " + friendlyTimes(body) : ""}`, {
    timeout: 10000,
    action: taskId ? { label: "Open", run: () => hooks.openTask(taskId) } : undefined,
  });
  if ("Notification" in window && Notification.permission === "granted") {
    try {
      const notification = new Notification(title, { body: body ? friendlyTimes(body) : "Reminder from Taskpilot", tag, icon: "/img/logo.svg" });
      notification.onclick = () => {
        window.focus();
        if (taskId) hooks.openTask(taskId);
        notification.close();
      };
    } catch (error) {
      console.warn("notification", error);
    }
  }
}
