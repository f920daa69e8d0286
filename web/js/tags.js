// Tags as the server takes them: lowercased, without a leading "#", 1 to 40 letters, digits and - _ . / : + &,
// at most 20 on a task.

export const MAX_TAGS = 20;
const MAX_LENGTH = 40;
const TAG = /^[\p{L}\p{M}\p{N}\-_./:+&]+$/u;

/** The rule in words, to follow a refusal. */
export const TAG_RULE = `a tag is 1 to ${MAX_LENGTH} letters, digits and - _ . / : + &`;

/** A tag as the server stores it: "#Home" is "home". */
export function normalizeTag(raw) {
  return String(raw).trim().normalize("NFC").toLowerCase().replace(/^#+/, "");
}

/** Whether the server takes `tag` (normalized) as a tag. */
export function isValidTag(tag) {
  return Boolean(tag) && [...tag].length <= MAX_LENGTH && TAG.test(tag);
}
