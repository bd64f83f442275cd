// HTML escaping for index.html. In: any text from a report (reasons, titles, the command
// line, environment facts). Out: the same text safe inside element content or a quoted
// attribute value: markup characters as entities, control characters HTML cannot carry as
// visible \uXXXX escapes, lone surrogates as U+FFFD. Pure.

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Characters that need more than a copy: markup, C0/C1 controls (bar tab/LF/CR), surrogates. */
// eslint-disable-next-line no-control-regex
const SPECIAL = /[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ud800-\udfff]/gu;

function replacement(ch: string): string {
  const entity = ENTITIES[ch];
  if (entity !== undefined) return entity;
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0xd800 && cp <= 0xdfff) return '\ufffd';
  return `\\u${cp.toString(16).padStart(4, '0')}`;
}

/**
 * `text` safe in HTML content and in a double- or single-quoted attribute. With the `u` flag a
 * surrogate pair is one code point, so only a lone surrogate matches the surrogate range.
 */
export function escapeHtml(text: string): string {
  return text.replace(SPECIAL, replacement);
}
