/**
 * JSON text parsed as PostgreSQL gives it back once stored as `jsonb`: jsonb keeps no key order
 * of its own but orders each object's keys by their length in bytes, then bytewise. Events just
 * appended are handed out in that order, so a state folded from them right after a command is
 * the same, byte for byte once serialised, as one folded later from the stored events.
 */
export function parseAsJsonb(text: string): unknown {
  return inJsonbOrder(JSON.parse(text));
}

/** Reorders, in place where it can, the keys of every object in a freshly parsed JSON value. */
function inJsonbOrder(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = inJsonbOrder(value[i]);
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let ordered = true;
  for (let i = 0; i < keys.length; i++) {
    obj[keys[i]] = inJsonbOrder(obj[keys[i]]);
    if (i > 0 && ordered && compareKeys(keys[i - 1], keys[i]) > 0) ordered = false;
  }
  if (ordered) return obj;
  // A new object: a key named __proto__ must stay an own data property, not set the prototype.
  const out: Record<string, unknown> = {};
  for (const k of keys.sort(compareKeys)) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: obj[k], writable: true, enumerable: true, configurable: true });
    else out[k] = obj[k];
  }
  return out;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** jsonb's key order (lengthCompareJsonbString): shorter UTF-8 first, then bytewise. */
function compareKeys(a: string, b: string): number {
  if (isAscii(a) && isAscii(b)) return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length !== y.length ? x.length - y.length : Buffer.compare(x, y);
}
