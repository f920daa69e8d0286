// A small, safe Markdown renderer for the assistant's replies and task descriptions. It builds DOM nodes
// directly and puts every piece of text in a text node, so no HTML in the input is ever interpreted.
// Supports: paragraphs (single newlines become line breaks), headings, bold, italic, strikethrough,
// inline code, fenced code blocks, links (http, https, mailto and same-site only), bare URLs,
// bullet / numbered / task lists (nested by indentation), block quotes, rules and GFM tables.

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)\s*$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;
const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_DIVIDER = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** Renders Markdown `text` into a DocumentFragment. */
export function renderMarkdown(text) {
  const lines = String(text ?? "")
    .replace(/\r\n?/g, "\n")
    .replace(/\t/g, "    ")
    .split("\n");
  const fragment = document.createDocumentFragment();
  blocks(lines, fragment);
  return fragment;
}

/**
 * The first line of Markdown `text` with words only, no syntax ("# Plan" is "Plan", "- **Buy** [milk](https://…)" is
 * "Buy milk"), for a one-line summary. Code fences, rules and table dividers are skipped.
 */
export function plainFirstLine(text) {
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  for (const raw of lines) {
    if (!raw.trim() || FENCE.test(raw) || RULE.test(raw) || (TABLE_DIVIDER.test(raw) && raw.includes("-"))) continue;
    let line = raw;
    let match;
    while ((match = QUOTE.exec(line))) line = match[1];
    if ((match = HEADING.exec(line))) line = match[2];
    else if ((match = ITEM.exec(line))) line = match[3].replace(/^\[[ xX]\]\s+/, "");
    if (/^\s*\|/.test(line)) line = splitRow(line).filter(Boolean).join(" · ");
    const words = inline(line).textContent.replace(/\s+/g, " ").trim();
    if (words) return words;
  }
  return "";
}

function node(tag, className) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  return element;
}

function isTableStart(lines, i) {
  return i + 1 < lines.length && lines[i].includes("|") && TABLE_DIVIDER.test(lines[i + 1]) && lines[i + 1].includes("-");
}

function startsBlock(lines, i) {
  const line = lines[i];
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line) || isTableStart(lines, i);
}

function blocks(lines, parent) {
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    let match;
    if ((match = FENCE.exec(line))) {
      const fence = match[1];
      const closing = new RegExp(`^ {0,3}\\${fence[0]}{${fence.length},}\\s*$`);
      const code = [];
      i++;
      while (i < lines.length && !closing.test(lines[i])) {
        code.push(lines[i]);
        i++;
      }
      i++;
      const pre = node("pre");
      const element = node("code", match[2] ? "language-" + match[2] : "");
      element.textContent = code.join("\n");
      pre.append(element);
      parent.append(pre);
      continue;
    }
    if ((match = HEADING.exec(line))) {
      const heading = node("h" + Math.min(6, match[1].length + 2));
      heading.append(inline(match[2]));
      parent.append(heading);
      i++;
      continue;
    }
    if (RULE.test(line)) {
      parent.append(node("hr"));
      i++;
      continue;
    }
    if (isTableStart(lines, i)) {
      i = table(lines, i, parent);
      continue;
    }
    if (QUOTE.test(line)) {
      const inner = [];
      while (i < lines.length && (match = QUOTE.exec(lines[i]))) {
        inner.push(match[1]);
        i++;
      }
      const quote = node("blockquote");
      blocks(inner, quote);
      parent.append(quote);
      continue;
    }
    if (ITEM.test(line)) {
      i = list(lines, i, parent);
      continue;
    }
    const paragraph = [];
    while (i < lines.length && lines[i].trim() && (paragraph.length === 0 || !startsBlock(lines, i))) {
      paragraph.push(lines[i].trim());
      i++;
    }
    const p = node("p");
    paragraph.forEach((text, index) => {
      if (index > 0) p.append(node("br"));
      p.append(inline(text));
    });
    parent.append(p);
  }
}

function splitRow(line) {
  let text = line.trim();
  if (text.startsWith("|")) text = text.slice(1);
  if (text.endsWith("|") && !text.endsWith("\\|")) text = text.slice(0, -1);
  const cells = [];
  let current = "";
  for (let k = 0; k < text.length; k++) {
    const char = text[k];
    if (char === "\\" && text[k + 1] === "|") {
      current += "|";
      k++;
    } else if (char === "|") {
      cells.push(current.trim());
      current = "";
    } else {
      current += char;
    }
  }
  cells.push(current.trim());
  return cells;
}

function table(lines, i, parent) {
  const header = splitRow(lines[i]);
  const aligns = splitRow(lines[i + 1]).map((cell) => {
    const left = cell.startsWith(":");
    const right = cell.endsWith(":");
    return left && right ? "center" : right ? "right" : left ? "left" : "";
  });
  i += 2;
  const wrap = node("div", "table-wrap");
  const tableElement = node("table");
  const head = node("thead");
  const headRow = node("tr");
  header.forEach((cell, index) => {
    const th = node("th");
    th.setAttribute("scope", "col");
    if (aligns[index]) th.className = "align-" + aligns[index];
    th.append(inline(cell));
    headRow.append(th);
  });
  head.append(headRow);
  tableElement.append(head);
  const body = node("tbody");
  while (i < lines.length && lines[i].trim() && lines[i].includes("|")) {
    const cells = splitRow(lines[i]);
    const row = node("tr");
    for (let index = 0; index < header.length; index++) {
      const td = node("td");
      if (aligns[index]) td.className = "align-" + aligns[index];
      td.append(inline(cells[index] ?? ""));
      row.append(td);
    }
    body.append(row);
    i++;
  }
  tableElement.append(body);
  wrap.append(tableElement);
  parent.append(wrap);
  return i;
}

function list(lines, i, parent) {
  const first = ITEM.exec(lines[i]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const listElement = node(ordered ? "ol" : "ul");
  if (ordered && parseInt(first[2], 10) !== 1) listElement.setAttribute("start", String(parseInt(first[2], 10)));
  let item = null;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      // A blank line ends the list unless the list goes on right after it.
      const next = i + 1 < lines.length ? ITEM.exec(lines[i + 1]) : null;
      if (next && next[1].length >= indent) {
        i++;
        continue;
      }
      break;
    }
    const match = ITEM.exec(line);
    if (match) {
      const depth = match[1].length;
      if (depth < indent) break;
      if (depth >= indent + 2 && item) {
        i = list(lines, i, item);
        continue;
      }
      if (/\d/.test(match[2]) !== ordered) break;
      item = node("li");
      let text = match[3];
      const task = /^\[([ xX])\]\s+(.*)$/.exec(text);
      if (task) {
        item.className = "task-item";
        const box = node("span", "task-box" + (task[1] === " " ? "" : " done"));
        box.setAttribute("aria-label", task[1] === " " ? "not done" : "done");
        box.setAttribute("role", "img");
        box.textContent = task[1] === " " ? "☐" : "☑";
        item.append(box, " ");
        text = task[2];
      }
      item.append(inline(text));
      listElement.append(item);
      i++;
      continue;
    }
    // A lazy continuation line of the current item.
    if (item && !startsBlock(lines, i)) {
      item.append(" ", inline(line.trim()));
      i++;
      continue;
    }
    break;
  }
  parent.append(listElement);
  return i;
}

function safeHref(url) {
  const trimmed = url.trim();
  if (/^(https?:|mailto:)/i.test(trimmed)) return trimmed;
  if (/^\/(?!\/)/.test(trimmed) || trimmed.startsWith("#")) return trimmed;
  return null;
}

function link(text, url) {
  const href = safeHref(url);
  if (!href) return inline(text);
  const anchor = node("a");
  anchor.setAttribute("href", href);
  if (/^https?:/i.test(href)) {
    anchor.setAttribute("target", "_blank");
    anchor.setAttribute("rel", "noopener noreferrer");
  }
  anchor.append(typeof text === "string" ? inline(text) : text);
  return anchor;
}

function wrap(tag, content) {
  const element = node(tag);
  element.append(inline(content));
  return element;
}

const INLINE = [
  { re: /\\([\\`*_{}[\]()#+\-.!|~>])/, make: (m) => document.createTextNode(m[1]) },
  {
    re: /(`+)([\s\S]*?[^`])\1(?!`)/,
    make: (m) => {
      const code = node("code");
      code.textContent = m[2].replace(/^ (.*) $/, "$1");
      return code;
    },
  },
  // A destination may hold balanced parentheses: [Foo](https://en.wikipedia.org/wiki/Foo_(bar)).
  {
    re: /\[([^\]]+)\]\(\s*<?((?:\([^()\s>]*\)|[^()\s>])+)>?(?:\s+"[^"]*")?\s*\)/,
    make: (m) => link(m[1], m[2]),
  },
  { re: /<((?:https?:|mailto:)[^\s>]+)>/, make: (m) => link(document.createTextNode(m[1]), m[1]) },
  // A bare address ends before trailing punctuation, and before a ")" it does not open: "(see https://x.io/a)".
  {
    re: /\bhttps?:\/\/(?:\([^\s<()]*\)|[^\s<()])*(?:\([^\s<()]*\)|[^\s<.,:;"'()\]!?*_~])/,
    make: (m) => link(document.createTextNode(m[0]), m[0]),
  },
  { re: /\*\*([^\s*](?:[\s\S]*?[^\s])?)\*\*/, make: (m) => wrap("strong", m[1]) },
  { re: /(?<![\w\\])__([^\s_](?:[\s\S]*?[^\s])?)__(?!\w)/, make: (m) => wrap("strong", m[1]) },
  { re: /~~([^\s~](?:[\s\S]*?[^\s~])?)~~/, make: (m) => wrap("del", m[1]) },
  { re: /\*([^\s*](?:[^*]*?[^\s*])?)\*/, make: (m) => wrap("em", m[1]) },
  { re: /(?<![\w\\])_([^\s_](?:[^_]*?[^\s_])?)_(?!\w)/, make: (m) => wrap("em", m[1]) },
];

/** Renders inline Markdown (no blocks) into a DocumentFragment. */
export function inline(text) {
  const fragment = document.createDocumentFragment();
  let rest = String(text);
  while (rest) {
    let best = null;
    for (const rule of INLINE) {
      const match = rule.re.exec(rest);
      if (match && (!best || match.index < best.match.index)) best = { rule, match };
    }
    if (!best) {
      fragment.append(document.createTextNode(rest));
      break;
    }
    if (best.match.index > 0) fragment.append(document.createTextNode(rest.slice(0, best.match.index)));
    fragment.append(best.rule.make(best.match));
    rest = rest.slice(best.match.index + best.match[0].length);
  }
  return fragment;
}
