// Log in and sign up.

import * as api from "../api.js";
import { $, clearFormErrors, revealFormErrors, showFormErrors } from "../dom.js";
import { browserTimeZone } from "../dates.js";

// An address as the server takes one: something, "@", and a domain with a dot ("ada@example.com").
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

let onSignedIn = () => {};

/** Wires both forms; `signedIn(user)` runs after a successful log in or sign up. */
export function initAuth({ signedIn }) {
  onSignedIn = signedIn;
  $("#login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const missing = [["email", "#login-email"], ["password", "#login-password"]].filter(([, field]) => !$(field).value.trim());
    if (missing.length) {
      // Nothing to check yet: say what is missing rather than that it matches no account.
      showFormErrors(event.currentTarget, { details: missing.map(([field]) => ({ field, message: "is required" })) });
      $(missing[0][1]).focus();
      return;
    }
    submit(event.currentTarget, () =>
      api.login({ email: $("#login-email").value.trim(), password: $("#login-password").value }),
    );
  });
  $("#signup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const email = $("#signup-email").value.trim();
    const password = $("#signup-password").value;
    const problems = signupProblems(email, password);
    if (problems.length) {
      showFormErrors(form, { details: problems });
      revealFormErrors(form);
      return;
    }
    submit(form, () =>
      api.register({
        email,
        password,
        name: $("#signup-name").value.trim(),
        timezone: browserTimeZone(),
      }),
    );
  });
}

/** Everything wrong with a sign-up before it is sent, all at once, in the server's words (`[{field, message}]`). */
function signupProblems(email, password) {
  const problems = [];
  if (!email) problems.push({ field: "email", message: "is required" });
  else if (!EMAIL.test(email)) problems.push({ field: "email", message: "must be an email address like ada@example.com" });
  if (password.length < 10) problems.push({ field: "password", message: "must be at least 10 characters" });
  return problems;
}

/** Empties both forms (after a log out). */
export function resetAuthForms() {
  $("#login-form").reset();
  $("#signup-form").reset();
}

/** Shows the log-in form (`mode` "login") or the sign-up form ("signup"). */
export function showAuth(mode, message) {
  const login = mode !== "signup";
  $("#login-form").hidden = !login;
  $("#signup-form").hidden = login;
  const form = login ? $("#login-form") : $("#signup-form");
  clearFormErrors(form);
  // Passwords never linger in a form that was left.
  $("#login-password").value = "";
  $("#signup-password").value = "";
  if (message) {
    const box = form.querySelector(".form-error");
    box.textContent = message;
    box.hidden = false;
  }
  const first = login ? $("#login-email") : $("#signup-name");
  requestAnimationFrame(() => first.focus());
}

/** The field an answer without field errors is about: the password of a refused log in, the email of an address
 * already taken, else the email. */
function problemField(form, error) {
  const email = form.querySelector('input[type="email"]');
  const password = form.querySelector('input[type="password"]');
  return error.status === 401 && password ? password : email;
}

async function submit(form, action) {
  clearFormErrors(form);
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    const user = await action();
    form.reset();
    onSignedIn(user);
  } catch (error) {
    let message = error.message;
    if (error.status === 401) message = "That email and password don’t match an account.";
    else if (error.status === 409) message = "An account with this email already exists. Log in instead?";
    else if (error.status === 429) {
      message = `Too many attempts. Try again in ${error.retryAfter || 60} seconds.`;
    }
    showFormErrors(form, error.details.length ? error : { message });
    if (!error.details.length) {
      const box = form.querySelector(".form-error");
      box.textContent = message;
    }
    // The focus goes to the field to fix, not to the page: the one named, else the one the answer is about.
    revealFormErrors(form, problemField(form, error));
  } finally {
    button.disabled = false;
    form.removeAttribute("aria-busy");
  }
}
