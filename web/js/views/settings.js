// Account settings: the display name, the time zone (searched by typing, with the current IANA names) and
// personal API tokens (listed, made with their secret shown once, revoked after asking).

import * as api from "../api.js";
import { $, $$, clearErrorsOnEdit, clearFormErrors, confirmAction, el, icon, showFormErrors, toast, toastError } from "../dom.js";
import { browserTimeZone, dayKey, shortDate, timeAgo, timeZone } from "../dates.js";

// Zones renamed in the time zone database that browsers may list only by their old name: the current name is
// offered, the old one still understood.
const RENAMED = {
  "Africa/Asmera": "Africa/Asmara",
  "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
  "America/Catamarca": "America/Argentina/Catamarca",
  "America/Coral_Harbour": "America/Atikokan",
  "America/Cordoba": "America/Argentina/Cordoba",
  "America/Godthab": "America/Nuuk",
  "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Jujuy": "America/Argentina/Jujuy",
  "America/Louisville": "America/Kentucky/Louisville",
  "America/Mendoza": "America/Argentina/Mendoza",
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Europe/Kiev": "Europe/Kyiv",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Truk": "Pacific/Chuuk",
};

let hooks = { userChanged: () => {} };
// The profile as the form showed it when the dialog opened: saving sends what changed.
let shown = { name: "", zone: "" };
// Every name the zone field takes, by its lower-case spelling with "_" for spaces.
let accepted = new Map();

/** Wires the dialog; `userChanged(user)` is told about the account as saved. */
export function initSettings({ userChanged }) {
  hooks = { userChanged };
  const dialog = $("#settings-dialog");
  for (const button of $$("[data-close]", dialog)) button.addEventListener("click", () => dialog.close());
  // The secret of a new token is shown once: it goes with the dialog.
  dialog.addEventListener("close", hideSecret);
  clearErrorsOnEdit($("#profile-form"));
  clearErrorsOnEdit($("#token-form"));
  $("#profile-form").addEventListener("submit", saveProfile);
  $("#zone-device").addEventListener("click", () => {
    $("#zone-input").value = currentName(browserTimeZone());
    $("#zone-input").dispatchEvent(new Event("input", { bubbles: true }));
  });
  $("#token-form").addEventListener("submit", createToken);
  $("#token-copy").addEventListener("click", copySecret);
  $("#token-list").addEventListener("click", (event) => {
    const button = event.target.closest("[data-revoke]");
    if (button) revoke(button.dataset.revoke, button.dataset.name, button.dataset.prefix);
  });
}

/** Opens the dialog with the account as it is now (`user`). */
export function openSettings(user) {
  const form = $("#profile-form");
  clearFormErrors(form);
  clearFormErrors($("#token-form"));
  fillZones();
  shown = { name: (user && user.name) || "", zone: currentName(timeZone()) };
  $("#profile-name").value = shown.name;
  $("#zone-input").value = shown.zone;
  const device = currentName(browserTimeZone());
  $("#zone-device").textContent = `Use this device’s zone (${device.replace(/_/g, " ")})`;
  $("#zone-device").hidden = device === shown.zone;
  $("#token-name").value = "";
  hideSecret();
  $("#settings-dialog").showModal();
  $("#profile-name").focus();
  loadTokens();
}

// ---------------------------------------------------------------------------------------------
// Profile

/** The current name of a zone ("Asia/Kolkata" for "Asia/Calcutta"). */
function currentName(zone) {
  return RENAMED[zone] || zone;
}

/** The zones to offer: the browser's, by their current names, and UTC, each once. */
function fillZones() {
  const listed = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const formerly = new Map(Object.entries(RENAMED).map(([old, current]) => [current, old]));
  const offered = [...new Set([...listed.map(currentName), "UTC", currentName(timeZone())])].sort();
  accepted = new Map([...offered, ...listed, timeZone()].map((zone) => [zone.toLowerCase(), currentName(zone)]));
  // A city alone ("Paris", "new york", "Kiev") names its zone when only one zone has that city.
  const byCity = new Map();
  for (const zone of [...offered, ...listed]) {
    const city = zone.split("/").pop().toLowerCase();
    if (!zone.includes("/")) continue;
    const current = currentName(zone);
    byCity.set(city, byCity.has(city) && byCity.get(city) !== current ? null : current);
  }
  for (const [city, zone] of byCity) if (zone && !accepted.has(city)) accepted.set(city, zone);
  $("#zone-options").replaceChildren(
    ...offered.map((zone) => {
      const words = zone.replace(/_/g, " ");
      return el("option", { value: zone, label: formerly.has(zone) ? `${words} (formerly ${formerly.get(zone).replace(/_/g, " ")})` : words });
    }),
  );
}

/** The zone typed ("asia/kolkata", "America/New York", "Paris"), as its current name; null when it is none of the list. */
function zoneOf(text) {
  return accepted.get(text.trim().replace(/\s+/g, "_").toLowerCase()) || null;
}

async function saveProfile(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearFormErrors(form);
  const name = $("#profile-name").value.trim();
  const typed = $("#zone-input").value;
  const zone = zoneOf(typed);
  if (!zone) {
    const message = typed.trim()
      ? `“${typed.trim()}” isn’t one we know: type a city, e.g. Paris, and pick its zone from the list`
      : "is required: type a city, e.g. Paris, and pick its zone from the list";
    showFormErrors(form, { details: [{ field: "timezone", message }] });
    $("#zone-input").focus();
    return;
  }
  const changes = {};
  if (name !== shown.name) changes.name = name;
  if (zone !== shown.zone) changes.timezone = zone;
  if (!Object.keys(changes).length) {
    toast("Nothing to save: the profile is as it was.");
    return;
  }
  $("#profile-save").disabled = true;
  try {
    const user = await api.updateMe(changes);
    shown = { name: user.name || "", zone: currentName(user.timezone) };
    $("#zone-input").value = shown.zone;
    $("#zone-device").hidden = currentName(browserTimeZone()) === shown.zone;
    hooks.userChanged(user);
    toast(changes.timezone ? `Time zone set to ${zone.replace(/_/g, " ")}` : "Profile saved", { kind: "success" });
  } catch (error) {
    showFormErrors(form, error);
  } finally {
    $("#profile-save").disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Personal API tokens

let tokens = [];
// The id of the token whose secret is shown (once, after it was made), or null.
let secretOf = null;
let tokenLoads = 0;

/** Lists the tokens as the server has them now ("last used" included). `quiet`: the rows shown stay until the answer
 * (a refresh after a change), and a failure leaves them. */
async function loadTokens({ quiet = false } = {}) {
  const empty = $("#token-empty");
  const load = ++tokenLoads;
  if (!quiet) {
    $("#token-list").replaceChildren();
    empty.hidden = false;
    empty.textContent = "Loading your tokens…";
  }
  try {
    const listed = (await api.listTokens()) || [];
    // An answer older than one asked for since is of no use.
    if (load !== tokenLoads) return;
    tokens = listed;
    renderTokens();
  } catch (error) {
    if (!quiet && load === tokenLoads && error.status !== 401) empty.textContent = `Couldn’t load your tokens: ${error.message}`;
  }
}

function renderTokens() {
  $("#token-list").replaceChildren(...tokens.map(tokenRow));
  const empty = $("#token-empty");
  empty.textContent = "No tokens yet. Make one for the terminal client, a script or an AI agent.";
  empty.hidden = tokens.length > 0;
}

function tokenRow(token) {
  const expires = token.expires_at ? new Date(token.expires_at) : null;
  const details = [
    `created ${timeAgo(token.created_at)}`,
    token.last_used_at ? `last used ${timeAgo(token.last_used_at)}` : "never used",
    !expires ? "never expires" : `${expires < new Date() ? "expired" : "expires"} ${shortDate(dayKey(expires))}`,
  ];
  return el(
    "li",
    { class: "token-row", dataset: { id: token.id } },
    icon("key", "muted-icon"),
    el(
      "div",
      { class: "token-main" },
      el("span", { class: "token-title" }, el("strong", { class: "token-name", text: token.name }), el("code", { class: "token-prefix", title: "How the token starts", text: `${token.prefix}…` })),
      el("span", { class: "token-meta", text: details.join(" · ") }),
    ),
    el("button", { type: "button", class: "btn ghost small danger", "aria-label": `Revoke token “${token.name}”`, dataset: { revoke: token.id, name: token.name, prefix: token.prefix }, text: "Revoke" }),
  );
}

async function createToken(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearFormErrors(form);
  const name = $("#token-name").value.trim();
  if (!name) {
    showFormErrors(form, { details: [{ field: "name", message: "is required: say where the token is used, e.g. laptop CLI" }] });
    $("#token-name").focus();
    return;
  }
  const days = $("#token-expiry").value;
  $("#token-create").disabled = true;
  try {
    const created = await api.createToken(days ? { name, expires_in_days: Number(days) } : { name });
    $("#token-name").value = "";
    const { token: secret, ...listed } = created;
    tokens = [listed, ...tokens.filter((token) => token.id !== listed.id)];
    renderTokens();
    showSecret(secret, listed.id);
    loadTokens({ quiet: true });
  } catch (error) {
    showFormErrors(form, error);
  } finally {
    $("#token-create").disabled = false;
  }
}

function showSecret(secret, id) {
  secretOf = id;
  const input = $("#token-secret");
  input.value = secret;
  $("#token-copy").lastElementChild.textContent = "Copy";
  $("#token-created").hidden = false;
  input.focus();
  input.select();
}

function hideSecret() {
  secretOf = null;
  $("#token-secret").value = "";
  $("#token-created").hidden = true;
}

async function copySecret() {
  const input = $("#token-secret");
  let copied = false;
  try {
    await navigator.clipboard.writeText(input.value);
    copied = true;
  } catch {
    // No clipboard API here (or no permission): the older way, from the selected text.
    input.select();
    copied = document.execCommand("copy");
  }
  if (copied) {
    $("#token-copy").lastElementChild.textContent = "Copied";
    toast("Token copied. Keep it somewhere safe.", { kind: "success" });
  } else {
    input.focus();
    input.select();
    toast("Couldn’t copy it here: the token is selected, copy it with Ctrl+C (⌘C).", { kind: "error" });
  }
}

async function revoke(id, name, prefix) {
  // Two tokens may share a name: the prefix tells them apart.
  const ok = await confirmAction({
    title: "Revoke token?",
    text: `“${name}” (${prefix}…) stops working at once: scripts and apps that use it will be refused. This can’t be undone.`,
    confirm: "Revoke",
  });
  if (!ok) return;
  try {
    await api.revokeToken(id);
    toast(`Revoked “${name}”`);
  } catch (error) {
    if (error.status !== 404) {
      toastError(error, "Couldn’t revoke the token");
      return;
    }
  }
  // A secret that no longer works is not offered for copying.
  if (id === secretOf) hideSecret();
  tokens = tokens.filter((token) => token.id !== id);
  renderTokens();
  loadTokens({ quiet: true });
  $("#token-name").focus();
}
