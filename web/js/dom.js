// Small DOM helpers shared by the views: element building (text only, never HTML strings), icons,
// toasts and the confirm dialog.

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Builds an element. `attrs` keys: `class`, `text`, `dataset` (object), `on` (object of listeners),
 * booleans (`hidden`, `disabled`…) and any other attribute. Children are nodes or strings (as text).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "on") for (const [name, handler] of Object.entries(value)) node.addEventListener(name, handler);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An icon from the sprite in index.html (decorative: hidden from assistive technology). */
export function icon(name, className = "") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", ("icon " + className).trim());
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS(SVG_NS, "use");
  use.setAttribute("href", "#i-" + name);
  svg.append(use);
  return svg;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** Whether the focus can go to `element`: on the page, shown and enabled (the body is no place for it). */
export function canFocus(element) {
  return (
    element instanceof HTMLElement &&
    element !== document.body &&
    element.isConnected &&
    !element.disabled &&
    element.checkVisibility({ visibilityProperty: true })
  );
}

/**
 * After `container` (a dialog, a panel) closed: when the focus was left nowhere (on the body, or inside the closed
 * container), gives it to the first of `candidates` that can take it (the control that opened it, then neighbours).
 */
export function returnFocus(container, ...candidates) {
  const active = document.activeElement;
  if (active && active !== document.body && !container.contains(active)) return;
  const target = candidates.find(canFocus);
  if (target) target.focus();
}

/** True when keyboard input goes to a text field (shortcuts must stay out of the way). */
export function isTyping(target) {
  if (!target || !(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  return !["checkbox", "radio", "button", "submit", "reset", "range", "color"].includes(target.type);
}

// ---------------------------------------------------------------------------------------------
// Toasts

/** How long a toast offering to undo something stays, unless the page sets `data-undo-ms` on the toast region. */
const UNDO_WINDOW_MS = 6000;

/** The time (ms) to undo a change in its toast: the toast region's `data-undo-ms`, else 6 seconds. */
export function undoWindow() {
  const set = Number(document.getElementById("toasts")?.dataset.undoMs);
  return set > 0 ? set : UNDO_WINDOW_MS;
}

// The toasts on screen, each with the function that closes it: one pushed out by newer ones closes as if it timed out.
const toastClosers = new WeakMap();

/**
 * Shows a short message; `action` is `{label, run}` (e.g. Undo). `kind` is info | error | success. `onExpire` is called
 * once when the toast goes without its action taken (it timed out, was dismissed, pushed out or closed by the caller).
 * The toast waits while the pointer or the focus is on it. Returns a function that closes it.
 */
export function toast(message, { kind = "info", action, timeout = 5000, onExpire } = {}) {
  const region = document.getElementById("toasts");
  const item = el("div", { class: `toast toast-${kind}` });
  item.append(icon(kind === "error" ? "alert" : kind === "success" ? "check" : "bell"), el("span", { class: "toast-text", text: message }));
  if (action) {
    item.append(
      el("button", {
        type: "button",
        class: "toast-action",
        text: action.label,
        on: {
          click: () => {
            close(true);
            action.run();
          },
        },
      }),
    );
  }
  item.append(el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", on: { click: () => close() } }, icon("x")));
  let closed = false;
  let hovered = false;
  let focused = false;
  let timer = setTimeout(close, timeout);
  region.append(item);
  toastClosers.set(item, () => close());
  const shown = Array.from(region.children).filter((toast) => !toast.classList.contains("leaving"));
  for (const old of shown.slice(0, Math.max(0, shown.length - 4))) {
    const closeOld = toastClosers.get(old);
    if (closeOld) closeOld();
    else old.remove();
  }
  // Held while the user is about to act on it (Undo within reach of the pointer or of the keyboard).
  const hold = () => clearTimeout(timer);
  const release = () => {
    if (closed || hovered || focused) return;
    clearTimeout(timer);
    timer = setTimeout(close, 2000);
  };
  item.addEventListener("mouseenter", () => {
    hovered = true;
    hold();
  });
  item.addEventListener("mouseleave", () => {
    hovered = false;
    release();
  });
  item.addEventListener("focusin", () => {
    focused = true;
    hold();
  });
  item.addEventListener("focusout", (event) => {
    if (item.contains(event.relatedTarget)) return;
    focused = false;
    release();
  });
  function close(acted = false) {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    toastClosers.delete(item);
    item.classList.add("leaving");
    setTimeout(() => item.remove(), 160);
    if (!acted && onExpire) onExpire();
  }
  return () => close();
}

/** Shows an API or network error as a toast. */
export function toastError(error, fallback = "Something went wrong") {
  if (error && error.name === "AbortError") return;
  console.warn(fallback, error);
  toast((error && error.message) || fallback, { kind: "error" });
}

// ---------------------------------------------------------------------------------------------
// Confirm dialog

// The round of the confirm dialog whose close event has not arrived yet: it settles it.
let settleConfirm = null;

/** Asks a yes/no question in the confirm dialog; resolves true when confirmed. */
export function confirmAction({ title, text, confirm = "Delete" }) {
  const dialog = document.getElementById("confirm-dialog");
  // The dialog closed a moment ago and its close event is still on its way: that round ends with the answer it got,
  // before this one is asked (else it would wait, and take this round's answer as its own).
  if (settleConfirm && !dialog.open) settleConfirm();
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = confirm;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    const settle = () => {
      dialog.removeEventListener("close", onClose);
      if (settleConfirm === settle) settleConfirm = null;
      resolve(dialog.returnValue === "ok");
    };
    const onClose = () => {
      // A close event of an earlier round can arrive after the dialog was shown again: not ours.
      if (!dialog.open) settle();
    };
    settleConfirm = settle;
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    document.getElementById("confirm-cancel").focus();
  });
}

/** Sets field errors (`[{field, message}]`) on `[data-field]` elements of `form` and its general error box. */
export function showFormErrors(form, error) {
  clearFormErrors(form);
  const box = form.querySelector(".form-error");
  const unplaced = [];
  for (const detail of (error && error.details) || []) {
    const root = String(detail.field || "").split(/[.[]/)[0];
    const slot = form.querySelector(`.field-error[data-field="${CSS.escape(root)}"]`);
    if (slot) {
      slot.textContent = (slot.textContent ? slot.textContent + " " : "") + humanField(detail.field) + " " + detail.message;
      slot.hidden = false;
      const input = controlOf(slot, detail.field);
      if (input) input.setAttribute("aria-invalid", "true");
    } else {
      unplaced.push(humanField(detail.field) + " " + detail.message);
    }
  }
  if (box) {
    const placed = ((error && error.details) || []).length - unplaced.length;
    const message = unplaced.length ? unplaced.join(". ") : placed ? "Please check the highlighted fields." : error?.message || "Something went wrong.";
    box.textContent = message;
    box.hidden = false;
    // Only pointing at the fields: it goes with the last of their errors (see `clearErrorsOnEdit`).
    if (!unplaced.length && placed) box.dataset.pointer = "true";
  }
}

/**
 * The control an error placed in `slot` is about: the first of its `.field` or `[data-error-scope]`; in a list
 * (`reminders[1].at`), the control of its item (the second `[data-error-item]`) named by `data-part="at"`, else the
 * item's first.
 */
function controlOf(slot, field) {
  const scope = slot.closest(".field, [data-error-scope]");
  if (!scope) return null;
  const item = /\[(\d+)\](?:\.(\w+))?/.exec(String(field || ""));
  const items = scope.querySelectorAll("[data-error-item]");
  if (item && items.length) {
    const owner = items[Number(item[1])];
    return owner ? (item[2] && owner.querySelector(`[data-part="${item[2]}"]`)) || owner.querySelector("input, textarea, select") : null;
  }
  return scope.querySelector("input, textarea, select");
}

/**
 * After a refused submit: brings the first field marked invalid into view (with its error) and gives it the focus;
 * without one, shows the form's error box and focuses `fallback`. The focus never drops to the page.
 */
export function revealFormErrors(form, fallback) {
  const field = Array.from(form.querySelectorAll('[aria-invalid="true"]')).find(canFocus);
  if (field) {
    // The field's whole block (its error below it included), then the field itself when the block is taller than the view.
    field.closest(".field, [data-error-scope]")?.scrollIntoView({ block: "nearest" });
    field.scrollIntoView({ block: "nearest" });
    field.focus({ preventScroll: true });
    return;
  }
  const box = form.querySelector(".form-error:not([hidden])");
  if (box) box.scrollIntoView({ block: "nearest" });
  if (canFocus(fallback)) fallback.focus({ preventScroll: Boolean(box) });
}

export function clearFormErrors(form) {
  for (const slot of form.querySelectorAll(".field-error")) {
    slot.textContent = "";
    slot.hidden = true;
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const box = form.querySelector(".form-error");
  if (box) {
    box.textContent = "";
    box.hidden = true;
    delete box.dataset.pointer;
  }
}

/**
 * Takes a field's error away as soon as the user edits the field: the error slots of its `[data-error-scope]` (or
 * of its `.field`) and its aria-invalid. Listens in the capture phase, so a field's own handler may say something
 * new about it afterwards.
 */
export function clearErrorsOnEdit(form) {
  const clear = (event) => {
    const scope = event.target instanceof Element && (event.target.closest("[data-error-scope]") || event.target.closest(".field"));
    if (!scope || !form.contains(scope)) return;
    for (const slot of scope.querySelectorAll(".field-error:not([hidden])")) {
      slot.textContent = "";
      slot.hidden = true;
    }
    for (const input of scope.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const box = form.querySelector(".form-error");
    if (box && box.dataset.pointer && !form.querySelector(".field-error:not([hidden])")) {
      box.textContent = "";
      box.hidden = true;
      delete box.dataset.pointer;
    }
  };
  form.addEventListener("input", clear, true);
  form.addEventListener("change", clear, true);
}

function humanField(field) {
  const text = String(field || "")
    .replace(/^timezone$/, "time zone")
    .replace(/_at\b/, "")
    .replace(/[._]/g, " ")
    .replace(/\[(\d+)\]/g, (_, n) => ` ${Number(n) + 1}`)
    .trim();
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : "";
}
