/**
 * JSON text parsed as PostgreSQL gives it back once stored as `jsonb`: jsonb keeps no key order
 * of its own but orders each object's keys by their length in bytes, then bytewise. Events just
 * appended are handed out in that order, so a state folded from them right after a command is
 * the same, byte for byte once serialised, as one folded later from the stored events.
 */
export function parseAsJsonb(text: string): unknown {
  return inJsonbOrder(JSON.parse(text));
}

/**
 * The jsonb order of each key list seen out of order, by the list joined with NUL, which no
 * storable key holds (jsonb refuses it). Events of one type share a few shapes, so a sort is
 * rarely paid; bounded, in case a producer invents keys.
 */
const orders = new Map<string, readonly string[]>();
const MAX_SHAPES = 2_000;

/** Null when `keys` are in jsonb's order already, else that order. */
function jsonbOrderOf(keys: string[]): readonly string[] | null {
  let ordered = true;
  for (let i = 1; ordered && i < keys.length; i++) ordered = compareKeys(keys[i - 1], keys[i]) < 0;
  if (ordered) return null;
  const shape = keys.join('\u0000');
  let order = orders.get(shape);
  if (order === undefined) {
    order = [...keys].sort(compareKeys);
    if (orders.size >= MAX_SHAPES) orders.clear();
    orders.set(shape, order);
  }
  return order;
}

/** Reorders, in place where it can, the keys of every object in a freshly parsed JSON value. */
function inJsonbOrder(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') value[i] = inJsonbOrder(v);
    }
    return value;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (const k of keys) {
    const v = obj[k];
    if (v === null || typeof v !== 'object') continue;
    const w = inJsonbOrder(v);
    if (w !== v) obj[k] = w;
  }
  const order = keys.length < 2 ? null : jsonbOrderOf(keys);
  if (order === null) return obj;
  // A new object: a key named __proto__ must stay an own data property, not set the prototype.
  const out: Record<string, unknown> = {};
  for (const k of order) {
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
