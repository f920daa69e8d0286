// The assistant panel: a conversation with Taskpilot's chat endpoint, its history, Markdown replies
// (tables included), the tool actions each reply took, and voice input where the browser has it.

import * as api from "../api.js";
import { $, confirmAction, el, icon, toast, toastError } from "../dom.js";
import { timeAgo } from "../dates.js";
import { renderMarkdown } from "../markdown.js";

/** Where the conversation shown is kept for this tab: the signed-in user's own (another user never opens it). */
const conversationKey = () => api.userKey("conversation");

let available = false;
let historyAvailable = false;
let conversationId = null;
let sending = false;
let recognition = null;
let hooks = { toolsRan: () => {} };

/** Wires the panel; `toolsRan(toolCalls)` runs after a reply that called tools (tasks may have changed). */
export function initChat({ toolsRan }) {
  hooks = { toolsRan };
  $("#chat-btn").addEventListener("click", () => toggleChat());
  $("#chat-close").addEventListener("click", () => toggleChat(false));
  $("#chat-new").addEventListener("click", () => newConversation());
  $("#chat-history-btn").addEventListener("click", () => toggleHistory());
  $("#chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send($("#chat-input").value);
  });
  const input = $("#chat-input");
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(input.value);
    } else if (event.key === "Escape") {
      event.preventDefault();
      toggleChat(false);
    }
  });
  input.addEventListener("input", autoGrow);
  $("#chat-suggestions").addEventListener("click", (event) => {
    const button = event.target.closest(".suggestion");
    if (button) send(button.textContent);
  });
  $("#conversation-list").addEventListener("click", onHistoryClick);
  setupVoice();
}

/** Shows the assistant when the server has the chat endpoint. */
export function setChatFeatures(found) {
  available = found.chat;
  historyAvailable = found.conversations;
  $("#chat-btn").hidden = !available;
  $("#chat-history-btn").hidden = !historyAvailable;
  if (!available) toggleChat(false);
}

export function chatAvailable() {
  return available;
}

export function isChatOpen() {
  return !$("#chat-panel").hidden;
}

/** Opens (true), closes (false) or toggles the panel. */
export function toggleChat(open = !isChatOpen()) {
  if (open && !available) return;
  const panel = $("#chat-panel");
  const wasOpen = !panel.hidden;
  panel.hidden = !open;
  document.body.classList.toggle("chat-open", open);
  $("#chat-btn").setAttribute("aria-expanded", String(open));
  if (open) {
    if (!wasOpen && !conversationId) restoreConversation();
    $("#chat-input").focus();
  } else if (wasOpen) {
    stopVoice();
    $("#chat-btn").focus();
  }
}

/** Forgets the conversation shown (on log out). */
export function resetChat() {
  conversationId = null;
  $("#chat-messages").replaceChildren();
  $("#chat-welcome").hidden = false;
  $("#chat-history").hidden = true;
  toggleChat(false);
}

function autoGrow() {
  const input = $("#chat-input");
  input.style.height = "auto";
  input.style.height = Math.min(input.scrollHeight, 160) + "px";
}

function scrollToEnd() {
  const log = $("#chat-log");
  log.scrollTop = log.scrollHeight;
}

// ---------------------------------------------------------------------------------------------
// Conversations

function newConversation() {
  conversationId = null;
  sessionStorage.removeItem(conversationKey());
  $("#chat-messages").replaceChildren();
  $("#chat-welcome").hidden = false;
  $("#chat-history").hidden = true;
  $("#chat-history-btn").setAttribute("aria-expanded", "false");
  $("#chat-input").focus();
}

async function restoreConversation() {
  const saved = sessionStorage.getItem(conversationKey());
  if (saved && historyAvailable) await openConversation(saved, { quiet: true });
}

async function openConversation(id, { quiet = false } = {}) {
  try {
    const conversation = await api.getConversation(id);
    conversationId = conversation.id;
    sessionStorage.setItem(conversationKey(), conversationId);
    const list = $("#chat-messages");
    list.replaceChildren();
    const messages = conversation.messages || [];
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index];
      if (message.role === "user") list.append(userBubble(message.content));
      else if (message.role === "assistant") {
        // Results of the calls may follow as tool messages.
        const results = [];
        for (let next = index + 1; next < messages.length && messages[next].role === "tool"; next++) results.push(messages[next].content);
        const calls = (message.tool_calls || []).map((call, i) => ({ ...call, result: call.result ?? results[i] }));
        if (message.content || calls.length) list.append(assistantBubble(message.content || "", calls));
      }
    }
    $("#chat-welcome").hidden = list.childElementCount > 0;
    $("#chat-history").hidden = true;
    $("#chat-history-btn").setAttribute("aria-expanded", "false");
    scrollToEnd();
  } catch (error) {
    if (error.status === 404) sessionStorage.removeItem(conversationKey());
    if (!quiet) toastError(error, "Couldn’t open the conversation");
  }
}

async function toggleHistory() {
  const section = $("#chat-history");
  const open = section.hidden;
  section.hidden = !open;
  $("#chat-history-btn").setAttribute("aria-expanded", String(open));
  if (!open) return;
  const list = $("#conversation-list");
  list.replaceChildren(el("li", { class: "muted", text: "Loading…" }));
  try {
    const conversations = (await api.listConversations()) || [];
    list.replaceChildren(
      ...conversations.map((conversation) =>
        el(
          "li",
          { class: conversation.id === conversationId ? "current" : "" },
          el(
            "button",
            { type: "button", class: "conversation-open", dataset: { id: conversation.id } },
            el("span", { class: "conversation-title", text: conversation.title || "Untitled conversation" }),
            el("span", { class: "conversation-time", text: timeAgo(conversation.updated_at || conversation.created_at) }),
          ),
          el(
            "button",
            { type: "button", class: "icon-btn", "aria-label": `Delete conversation “${conversation.title || "Untitled"}”`, dataset: { delete: conversation.id } },
            icon("trash"),
          ),
        ),
      ),
    );
    $("#conversation-empty").hidden = conversations.length > 0;
  } catch (error) {
    list.replaceChildren();
    toastError(error, "Couldn’t load conversations");
  }
}

async function onHistoryClick(event) {
  const open = event.target.closest(".conversation-open");
  if (open) {
    openConversation(open.dataset.id);
    return;
  }
  const remove = event.target.closest("[data-delete]");
  if (!remove) return;
  const ok = await confirmAction({ title: "Delete conversation?", text: "Its messages will be deleted. Your tasks stay as they are." });
  if (!ok) return;
  try {
    await api.deleteConversation(remove.dataset.delete);
    if (remove.dataset.delete === conversationId) newConversation();
    remove.closest("li").remove();
    $("#conversation-empty").hidden = $("#conversation-list").childElementCount > 0;
  } catch (error) {
    toastError(error, "Couldn’t delete the conversation");
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

function userBubble(text) {
  return el("li", { class: "msg msg-user" }, el("p", { class: "sr-only", text: "You said:" }), el("div", { class: "bubble", text }));
}

function assistantBubble(markdown, toolCalls = []) {
  const bubble = el("div", { class: "bubble markdown" });
  bubble.append(renderMarkdown(markdown));
  const item = el("li", { class: "msg msg-assistant" }, el("p", { class: "sr-only", text: "Taskpilot said:" }));
  if (toolCalls.length) item.append(toolCallsBlock(toolCalls));
  item.append(bubble);
  return item;
}

function formatJSON(value) {
  if (value === undefined || value === null || value === "") return "";
  let data = value;
  if (typeof value === "string") {
    try {
      data = JSON.parse(value);
    } catch {
      return value;
    }
  }
  return JSON.stringify(data, null, 2);
}

function toolCallsBlock(calls) {
  const names = [...new Set(calls.map((call) => call.name))].join(", ");
  const details = el(
    "details",
    { class: "tool-calls" },
    el("summary", {}, icon("tool"), el("span", { text: `${calls.length} ${calls.length === 1 ? "action" : "actions"}: ${names}` })),
  );
  const list = el("ol", { class: "tool-list" });
  for (const call of calls) {
    const args = formatJSON(call.arguments);
    const result = formatJSON(call.result);
    list.append(
      el(
        "li",
        { class: "tool-call" },
        el("code", { class: "tool-name", text: call.name }),
        args ? el("div", { class: "tool-part" }, el("span", { class: "tool-part-label", text: "Arguments" }), el("pre", { text: args })) : null,
        result ? el("div", { class: "tool-part" }, el("span", { class: "tool-part-label", text: "Result" }), el("pre", { text: result })) : null,
      ),
    );
  }
  details.append(list);
  return details;
}

async function send(raw) {
  const text = String(raw || "").trim();
  if (!text || sending) return;
  sending = true;
  stopVoice();
  const input = $("#chat-input");
  input.value = "";
  autoGrow();
  $("#chat-welcome").hidden = true;
  const list = $("#chat-messages");
  list.append(userBubble(text));
  const typing = el("li", { class: "msg msg-assistant typing", "aria-label": "Taskpilot is typing" }, el("div", { class: "bubble" }, el("span", { class: "dots", "aria-hidden": "true" }, el("span"), el("span"), el("span"))));
  list.append(typing);
  scrollToEnd();
  $("#chat-send").disabled = true;
  try {
    const reply = await api.chat(text, conversationId);
    conversationId = reply.conversation_id || conversationId;
    if (conversationId) sessionStorage.setItem(conversationKey(), conversationId);
    typing.replaceWith(assistantBubble(reply.response || "", reply.tool_calls || []));
    if ((reply.tool_calls || []).length) hooks.toolsRan(reply.tool_calls);
  } catch (error) {
    typing.remove();
    if (error.status === 404 && !conversationId) {
      api.disableFeature("chat");
      setChatFeatures({ chat: false, conversations: false });
      toast("The assistant isn’t available on this server.", { kind: "error" });
    } else {
      list.append(
        el(
          "li",
          { class: "msg msg-error" },
          el("div", { class: "bubble" }, icon("alert"), el("span", { text: error.message || "The assistant didn’t answer." }), " ",
            el("button", { type: "button", class: "link-btn", text: "Try again", on: { click: (event) => { event.currentTarget.closest("li").remove(); list.lastElementChild?.remove(); send(text); } } })),
        ),
      );
    }
  } finally {
    sending = false;
    $("#chat-send").disabled = false;
    scrollToEnd();
    if (isChatOpen()) input.focus();
  }
}

// ---------------------------------------------------------------------------------------------
// Voice input (Web Speech API), only where the browser offers it

function setupVoice() {
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  const button = $("#chat-mic");
  if (!Recognition) {
    button.hidden = true;
    return;
  }
  button.hidden = false;
  button.addEventListener("click", () => {
    if (recognition) {
      stopVoice();
      return;
    }
    const input = $("#chat-input");
    const base = input.value ? input.value.replace(/\s*$/, " ") : "";
    recognition = new Recognition();
    recognition.lang = navigator.language || "en-US";
    recognition.interimResults = true;
    recognition.continuous = false;
    recognition.onresult = (event) => {
      let transcript = "";
      for (const result of event.results) transcript += result[0].transcript;
      input.value = base + transcript;
      autoGrow();
    };
    recognition.onerror = (event) => {
      if (event.error === "not-allowed" || event.error === "service-not-allowed") toast("Microphone access was denied.", { kind: "error" });
    };
    recognition.onend = () => {
      recognition = null;
      button.setAttribute("aria-pressed", "false");
      button.classList.remove("listening");
      input.focus();
    };
    try {
      recognition.start();
      button.setAttribute("aria-pressed", "true");
      button.classList.add("listening");
    } catch {
      recognition = null;
    }
  });
}

function stopVoice() {
  if (recognition) recognition.stop();
}
