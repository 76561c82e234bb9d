/**
 * Text another system wrote (an error message from the transport system, say) often echoes what it was sent:
 * consignee names, addresses, e-mails, phone numbers. Before such text goes into a log line or a dead-letter
 * attribute it is cut short and stripped of what looks personal; the full answer is never kept.
 */

/** Most characters kept of a foreign message. */
export const logSafeTextMaxChars = 160;

const redactions: readonly [RegExp, string][] = [
  // Quoted values are usually the echoed input ("Invalid postcode '12345' for 'Anna Svensson'").
  [/"[^"]*"|'[^']*'|“[^”]*”|‘[^’]*’/g, '"…"'],
  [/[^\s@<>()[\]"',;:]+@[^\s@<>()[\]"',;:]+\.[A-Za-z]{2,}/g, "[email]"],
  // Phone numbers, postcodes, personal and account numbers: any run of four digits or more, spaced or not.
  [/\+?\d(?:[\s().-]?\d){3,}/g, "[number]"],
];

/** `text` without control characters, personal-looking values and anything past `maxChars`. */
export function logSafeText(text: string, maxChars = logSafeTextMaxChars): string {
  let safe = text.replace(/\p{Cc}+/gu, " ");
  for (const [pattern, replacement] of redactions) safe = safe.replace(pattern, replacement);
  safe = safe.replace(/\s+/g, " ").trim();
  return safe.length > maxChars ? `${safe.slice(0, maxChars - 1)}…` : safe;
}
