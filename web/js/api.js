// The one module that talks to the Taskpilot server: HTTP API v1, the WebSocket and the session.

const TOKEN_KEY = "taskpilot.token";
const USER_KEY = "taskpilot.user";
const BASE = "/api/v1";

/** An error answered by the server (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const error = (body && body.error) || {};
    super(error.message || (status === 0 ? "Can’t reach the server. Check your connection." : `Request failed (${status})`));
    this.name = "ApiError";
    this.status = status;
    this.code = error.code || (status === 0 ? "network" : status === 412 ? "precondition_failed" : "http_" + status);
    this.details = Array.isArray(error.details) ? error.details : [];
    this.retryAfter = retryAfter;
    // A change sent with `ifMatch` was refused because the task changed since that version was read: nothing was
    // written (read the task again, and make the change on what it is now).
    this.preconditionFailed = status === 412 || this.code === "precondition_failed";
  }
}

let unauthorizedHandler = () => {};

/** Called once when an authenticated request answers 401: the session is gone. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

// ---------------------------------------------------------------------------------------------
// Session

export function token() {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** The signed-in user as last seen, or null. */
export function currentUser() {
  try {
    return JSON.parse(localStorage.getItem(USER_KEY) || "null");
  } catch {
    return null;
  }
}

/** A storage key of the signed-in user's own ("taskpilot.sort.inbox.<user id>"): preferences never pass to the next
 * person who logs in in this browser. */
export function userKey(name) {
  const user = currentUser();
  return `taskpilot.${name}.${user && user.id ? user.id : "anonymous"}`;
}

function saveSession(auth) {
  localStorage.setItem(TOKEN_KEY, auth.token);
  localStorage.setItem(USER_KEY, JSON.stringify(auth.user));
}

function saveUser(user) {
  localStorage.setItem(USER_KEY, JSON.stringify(user));
}

/** Forgets the token and the user; closes the live connection. */
export function clearSession() {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
  capabilitiesPromise = null;
  disabled.clear();
  live.stop();
}

// ---------------------------------------------------------------------------------------------
// HTTP

/**
 * Calls API v1. With `keepalive` the request outlives the page (a delete sent as the page is left); its body must stay
 * small (browsers cap a page's keepalive requests at 64 KB in all). `headers` are sent besides the usual ones (an
 * `If-Match`); one without a value is left out.
 */
async function request(method, path, { body, query, signal, keepalive = false, auth = true, headers: extra } = {}) {
  let url = BASE + path;
  if (query) {
    // Spaces as %20, not "+": the server reads a "+" as itself (a tag may hold one).
    const params = [];
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === "") continue;
      params.push(`${encodeURIComponent(key)}=${encodeURIComponent(Array.isArray(value) ? value.join(",") : String(value))}`);
    }
    if (params.length) url += "?" + params.join("&");
  }
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const bearer = auth ? token() : null;
  if (auth && !bearer) {
    // Signed out (perhaps in another tab) while this request was queued: don't send it.
    throw new ApiError(401, { error: { code: "unauthorized", message: "You are signed out." } });
  }
  if (bearer) headers.Authorization = "Bearer " + bearer;
  for (const [name, value] of Object.entries(extra || {})) {
    if (value !== undefined && value !== null && value !== "") headers[name] = String(value);
  }

  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      keepalive,
      cache: "no-store",
    });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiError(0, null);
  }
  if (response.status === 204) return null;
  let data = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data, Number(response.headers.get("Retry-After")) || undefined);
    if (response.status === 401 && bearer) {
      clearSession();
      unauthorizedHandler(error);
    }
    throw error;
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// Accounts

export async function register({ email, password, name, timezone }) {
  const auth = await request("POST", "/auth/register", { body: { email, password, name: name || undefined, timezone }, auth: false });
  saveSession(auth);
  return auth.user;
}

export async function login({ email, password }) {
  const auth = await request("POST", "/auth/login", { body: { email, password }, auth: false });
  saveSession(auth);
  return auth.user;
}

export async function me() {
  const user = await request("GET", "/auth/me");
  saveUser(user);
  return user;
}

export async function updateMe(changes) {
  const user = await request("PATCH", "/auth/me", { body: changes });
  saveUser(user);
  return user;
}

// Personal API tokens (made with a login session; the secret is in the answer of `createToken` only).
export const listTokens = () => request("GET", "/tokens");
export const createToken = (fields) => request("POST", "/tokens", { body: fields });
export const revokeToken = (id) => request("DELETE", `/tokens/${encodeURIComponent(id)}`);

// ---------------------------------------------------------------------------------------------
// Tasks

/** One page of tasks: `{items, next_cursor}`. `query` holds the list parameters of API v1. */
export const listTasks = (query, signal) => request("GET", "/tasks", { query, signal });
export const getTask = (id) => request("GET", `/tasks/${id}`);
export const createTask = (fields) => request("POST", "/tasks", { body: fields });
/**
 * Changes a task. With `ifMatch` (an `etagOf` a version of it) the change is made only if the task is still that
 * version: else the server writes nothing and the ApiError has `preconditionFailed` (412, precondition_failed).
 */
export const updateTask = (id, changes, { ifMatch } = {}) => request("PATCH", `/tasks/${id}`, { body: changes, headers: { "If-Match": ifMatch } });
/** `keepalive`: see `request`. */
export const deleteTask = (id, { keepalive = false } = {}) => request("DELETE", `/tasks/${id}`, { keepalive });
export const completeTask = (id) => request("POST", `/tasks/${id}/complete`);
export const reopenTask = (id) => request("POST", `/tasks/${id}/reopen`);
/** `action` is complete, reopen or delete; answers `{affected}`. `keepalive`: see `request`. */
export const bulkTasks = (action, ids, { keepalive = false } = {}) => request("POST", "/tasks/bulk", { body: { action, ids }, keepalive });
export const listTags = () => request("GET", "/tags");

/**
 * The version of `task` as the server's `ETag` and `If-Match` name it: its `updated_at` in milliseconds, quoted (the
 * server answers it with every task; a task of a list, which has no header per task, gives the same). Null when the
 * task has no readable `updated_at`.
 */
export function etagOf(task) {
  const ms = task ? Date.parse(task.updated_at) : NaN;
  return Number.isFinite(ms) ? `"${ms}"` : null;
}

/** Natural-language quick add; answers the created task. */
export const quickAdd = (text) => request("POST", "/tasks/quick", { body: { text } });
/** What quick add would understand from `text`, without saving. */
export const quickPreview = (text, signal) => request("POST", "/tasks/quick/preview", { body: { text }, signal });

// ---------------------------------------------------------------------------------------------
// Assistant and notifications

export const chat = (message, conversationId) =>
  request("POST", "/chat", { body: conversationId ? { message, conversation_id: conversationId } : { message } });
export const listConversations = () => request("GET", "/conversations");
export const getConversation = (id) => request("GET", `/conversations/${encodeURIComponent(id)}`);
export const deleteConversation = (id) => request("DELETE", `/conversations/${encodeURIComponent(id)}`);
export const listNotifications = () => request("GET", "/notifications");
export const markNotificationRead = (id) => request("POST", `/notifications/${encodeURIComponent(id)}/read`);

// ---------------------------------------------------------------------------------------------
// Capabilities: which optional endpoints this server has. First from its OpenAPI document (no request
// that can fail, so nothing lands in the console); a feature the document does not list is probed with
// a request that succeeds without side effects when the endpoint exists (an absent one answers 404).

const FEATURE_PATHS = {
  quickAdd: "/api/v1/tasks/quick",
  quickPreview: "/api/v1/tasks/quick/preview",
  chat: "/api/v1/chat",
  conversations: "/api/v1/conversations",
  notifications: "/api/v1/notifications",
};

let capabilitiesPromise = null;
const disabled = new Set();

async function probe(method, path, body) {
  try {
    const headers = { Accept: "application/json", Authorization: "Bearer " + token() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
    return response.status !== 404;
  } catch {
    return false;
  }
}

async function discover() {
  const found = Object.fromEntries(Object.keys(FEATURE_PATHS).map((key) => [key, false]));
  // live: "listed" when the document names /api/v1/ws, "maybe" when only a first connection can tell.
  found.live = "maybe";
  try {
    const response = await fetch("/openapi.yaml", { cache: "no-store" });
    if (response.ok) {
      const text = await response.text();
      const paths = new Set();
      for (const match of text.matchAll(/^\s{2}["']?(\/[^\s"':]*)["']?\s*:\s*$/gm)) paths.add(match[1]);
      for (const [key, path] of Object.entries(FEATURE_PATHS)) found[key] = paths.has(path);
      // The WebSocket may be documented as a path or only mentioned in a description.
      if (/\/api\/v1\/ws\b/.test(text)) found.live = "listed";
    }
  } catch {
    // No document: probe everything.
  }
  if (!token()) return found;
  const probes = [];
  if (!found.quickPreview) probes.push(probe("POST", "/tasks/quick/preview", { text: "probe" }).then((ok) => (found.quickPreview = ok)));
  if (!found.conversations) probes.push(probe("GET", "/conversations").then((ok) => (found.conversations = ok)));
  if (!found.notifications) probes.push(probe("GET", "/notifications").then((ok) => (found.notifications = ok)));
  await Promise.all(probes);
  // Quick add ships with its preview, and chat with its conversations.
  if (!found.quickAdd) found.quickAdd = found.quickPreview;
  if (!found.chat) found.chat = found.conversations;
  return found;
}

/** `{quickAdd, quickPreview, chat, conversations, notifications}` booleans, and `live` ("listed" | "maybe" | false). */
export function capabilities() {
  if (!capabilitiesPromise) capabilitiesPromise = discover();
  return capabilitiesPromise.then((found) => {
    const copy = { ...found };
    for (const key of disabled) copy[key] = false;
    return copy;
  });
}

/** Marks a feature absent after its endpoint answered 404. */
export function disableFeature(key) {
  disabled.add(key);
}

// ---------------------------------------------------------------------------------------------
// Live updates over the WebSocket, reconnecting with backoff.

class LiveConnection {
  constructor() {
    this.socket = null;
    this.listeners = new Set();
    this.statusListeners = new Set();
    this.status = "off";
    this.attempt = 0;
    this.timer = null;
    this.wanted = false;
    this.everOpened = false;
    this.probing = false;
    window.addEventListener("online", () => this.retrySoon());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.retrySoon();
    });
  }

  /** `listener(event)` for every pushed event; returns a function that removes it. */
  onEvent(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `listener(status, {reconnected})` with status off | connecting | live | offline | unavailable. */
  onStatus(listener) {
    this.statusListeners.add(listener);
    listener(this.status, {});
    return () => this.statusListeners.delete(listener);
  }

  setStatus(status, info = {}) {
    this.status = status;
    for (const listener of this.statusListeners) listener(status, info);
  }

  /** Connects and keeps connected. With `probe`, a first connection that fails means the server has no
   * WebSocket: the status becomes "unavailable" and nothing is retried. */
  start({ probe = false } = {}) {
    this.wanted = true;
    this.probing = probe && !this.everOpened;
    if (!this.socket && !this.timer) this.connect();
  }

  stop() {
    this.wanted = false;
    clearTimeout(this.timer);
    this.timer = null;
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.onclose = null;
      socket.close(1000);
    }
    this.attempt = 0;
    this.everOpened = false;
    this.probing = false;
    this.setStatus("off");
  }

  retrySoon() {
    if (this.wanted && !this.socket && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.connect();
    }
  }

  connect() {
    const bearer = token();
    if (!bearer || !this.wanted) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // The token travels as a subprotocol ("bearer", token), not in the URL: browsers print a failed socket's URL
    // in the console, and proxies log URLs.
    const url = `${scheme}//${location.host}${BASE}/ws`;
    this.setStatus(this.everOpened ? "offline" : "connecting");
    let socket;
    try {
      socket = new WebSocket(url, ["bearer", bearer]);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.probing = false;
      this.attempt = 0;
      this.setStatus("live", { reconnected });
    };
    socket.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!event || typeof event.type !== "string") return;
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          console.warn("live update handler failed", error);
        }
      }
    };
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.wanted) return;
      if (this.probing && !this.everOpened) {
        this.wanted = false;
        this.setStatus("unavailable");
        return;
      }
      if (close.code === 4401 || close.code === 1008) {
        // The server refused the token: check the session over HTTP (a 401 there logs out).
        me().catch(() => {});
      }
      this.setStatus("offline");
      this.scheduleReconnect();
    };
  }

  scheduleReconnect() {
    clearTimeout(this.timer);
    const base = Math.min(15000, 500 * 2 ** this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, base / 2 + Math.random() * (base / 2));
  }
}

export const live = new LiveConnection();
