import type { MsgHdrs } from '@nats-io/nats-core';

export interface StoredPayload {
  payload: string;
  encoding: 'utf8' | 'base64';
  /** Size of the original message body. */
  bytes: number;
  truncated: boolean;
}

export const DEFAULT_PAYLOAD_CAP_BYTES = 64 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A message body as text for a PostgreSQL `text` column: UTF-8 when it decodes and holds no NUL
 * (which `text` refuses), otherwise base64. At most `capBytes` of the body are kept, cut on a
 * character boundary.
 */
export function encodePayload(body: Uint8Array, capBytes = DEFAULT_PAYLOAD_CAP_BYTES): StoredPayload {
  const bytes = body.byteLength;
  const truncated = bytes > capBytes;
  let kept = truncated ? body.subarray(0, capBytes) : body;
  let text: string | undefined;
  try {
    // Decide on the whole body, so a cut inside a character is not mistaken for binary data.
    strictUtf8.decode(body);
    if (truncated) kept = kept.subarray(0, utf8Boundary(kept));
    text = strictUtf8.decode(kept);
    if (text.includes('\u0000')) text = undefined;
  } catch {
    text = undefined;
  }
  if (text !== undefined) return { payload: text, encoding: 'utf8', bytes, truncated };
  return { payload: Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).toString('base64'), encoding: 'base64', bytes, truncated };
}

/** Length of the longest prefix of `b` that does not end inside a multi-byte UTF-8 sequence. */
function utf8Boundary(b: Uint8Array): number {
  let i = b.length;
  // Step back over continuation bytes (10xxxxxx) to the lead byte of the last character.
  let back = 0;
  while (i > 0 && back < 4 && (b[i - 1] & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i === 0) return b.length;
  const lead = b[i - 1];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  // Keep the last character only if all its bytes are there.
  return back + 1 >= need ? b.length : i - 1;
}

/**
 * Text PostgreSQL accepts: `text` and `jsonb` refuse NUL, which a malformed body can smuggle into
 * a reason (JSON.parse quotes the bad bytes) or a header.
 */
export function pgText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}

/** Headers as JSON: name → values (NATS headers may repeat). */
export function headersToJson(h: MsgHdrs | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!h) return out;
  for (const k of h.keys()) out[pgText(k)] = h.values(k).map(pgText);
  return out;
}

/** A value safe in a NATS header: one line, no control characters, bounded. */
export function headerValue(s: string, max = 1024): string {
  // eslint-disable-next-line no-control-regex
  const one = s.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
