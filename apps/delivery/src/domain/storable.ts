/**
 * What receivers answer is stored for the attempt log, and PostgreSQL refuses some of it: U+0000
 * in `text` and `jsonb`, and (through the driver's UTF-8 encoding) lone surrogates. An attempt
 * that cannot be recorded was re-sent forever, so everything a receiver controls passes through
 * here before it reaches a statement: NUL becomes U+2400 (SYMBOL FOR NULL, visible to whoever
 * reads the log), other invalid text U+FFFD, and sizes are bounded.
 */
export const MAX_HEADER_VALUE_CHARS = 4_096;
export const MAX_HEADERS = 100;
export const MAX_ERROR_CHARS = 2_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const wellFormed = (s: string) => s.replace(LONE_SURROGATE, '\uFFFD');

/**
 * `s` made storable, at most `maxChars` long: a longer text keeps its start and says how much was
 * cut, the note included in the bound (events carry these texts, and their contracts cap them).
 */
export function storableText(s: string, maxChars = Number.POSITIVE_INFINITY): string {
  const out = wellFormed(s.includes('\u0000') ? s.replaceAll('\u0000', '\u2400') : s);
  if (out.length <= maxChars) return out;
  // The longest note (cutting everything) bounds the real one, which cuts less.
  const note = (cut: number) => `…[${cut} more characters]`;
  const keep = Math.max(0, maxChars - note(out.length).length);
  return `${wellFormed(out.slice(0, keep))}${note(out.length - keep)}`;
}

export function storableNullable(s: string | null, maxChars?: number): string | null {
  return s === null ? null : storableText(s, maxChars);
}

/** Response headers for the log: at most MAX_HEADERS, each value bounded, names and values cleaned. */
export function storableHeaders(headers: Record<string, string> | null): Record<string, string> | null {
  if (!headers) return null;
  const out: Record<string, string> = {};
  const entries = Object.entries(headers);
  for (const [k, v] of entries.slice(0, MAX_HEADERS)) out[storableText(k, 256)] = storableText(v, MAX_HEADER_VALUE_CHARS);
  if (entries.length > MAX_HEADERS) out['x-stagehook-omitted-headers'] = String(entries.length - MAX_HEADERS);
  return out;
}
