import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

/**
 * SSRF rules shared by the registry (at registration) and the delivery service (at connect time,
 * against the address actually dialled, which defeats DNS rebinding). Only public unicast
 * addresses pass, unless an allow-list names the host or covers the address.
 */

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'cgnat' | 'multicast' | 'unspecified' | 'broadcast' | 'reserved' | 'documentation' | 'benchmark';

export type TargetCheck = { ok: true; url: URL; addresses: string[] } | { ok: false; reason: string };

export type Resolver = (hostname: string) => Promise<string[]>;

// ---- address parsing -------------------------------------------------------------------------

/** IPv4 as a 32-bit number, or undefined. Dotted quad only (URL parsing already normalised tricks). */
function v4ToInt(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function intToV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** IPv6 (with optional embedded dotted IPv4 and zone id) as a 128-bit bigint, or undefined. */
function v6ToBigInt(input: string): bigint | undefined {
  let s = input.replace(/^\[|\]$/g, '');
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (isIP(s) !== 6) return undefined;
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (dotted) {
    const v4 = v4ToInt(dotted[1]);
    if (v4 === undefined) return undefined;
    s = s.slice(0, -dotted[1].length) + `${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(parseInt(g || '0', 16));
  return n;
}

/**
 * Parses a host the way `inet_aton` (and WHATWG URL) do: `2130706433`, `0x7f000001`,
 * `0177.0.0.1`, `127.1` all mean 127.0.0.1. Returns the dotted quad, or undefined if not numeric.
 */
export function normaliseIPv4(host: string): string | undefined {
  const parts = host.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0x[0-9a-f]*$/i.test(p)) v = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]+$/.test(p)) v = parseInt(p, 8);
    else if (/^(0|[1-9]\d*)$/.test(p)) v = Number(p);
    else return undefined;
    if (!Number.isFinite(v)) return undefined;
    nums.push(v);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return undefined;
  let n = last;
  nums.forEach((b, i) => (n += b * 256 ** (3 - i)));
  return intToV4(n);
}

// ---- classification --------------------------------------------------------------------------

interface Range4 {
  base: number;
  bits: number;
  cls: AddressClass;
}
const r4 = (cidr: string, cls: AddressClass): Range4 => {
  const [ip, bits] = cidr.split('/');
  return { base: v4ToInt(ip)!, bits: Number(bits), cls };
};
const in4 = (n: number, base: number, bits: number) => bits === 0 || n >>> (32 - bits) === base >>> (32 - bits);

// Most specific first (255.255.255.255 inside 240/4).
const V4_RANGES: Range4[] = [
  r4('255.255.255.255/32', 'broadcast'),
  r4('0.0.0.0/32', 'unspecified'),
  r4('0.0.0.0/8', 'reserved'),
  r4('10.0.0.0/8', 'private'),
  r4('100.64.0.0/10', 'cgnat'),
  r4('127.0.0.0/8', 'loopback'),
  r4('169.254.0.0/16', 'link-local'),
  r4('172.16.0.0/12', 'private'),
  r4('192.0.0.0/24', 'reserved'),
  r4('192.0.2.0/24', 'documentation'),
  r4('192.88.99.0/24', 'reserved'),
  r4('192.168.0.0/16', 'private'),
  r4('198.18.0.0/15', 'benchmark'),
  r4('198.51.100.0/24', 'documentation'),
  r4('203.0.113.0/24', 'documentation'),
  r4('224.0.0.0/4', 'multicast'),
  r4('240.0.0.0/4', 'reserved'),
];

function classify4(n: number): AddressClass {
  for (const r of V4_RANGES) if (in4(n, r.base, r.bits)) return r.cls;
  return 'public';
}

const in6 = (n: bigint, base: bigint, bits: number) => bits === 0 || n >> BigInt(128 - bits) === base >> BigInt(128 - bits);
const p6 = (s: string) => v6ToBigInt(s)!;

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any. */
function embeddedV4(n: bigint): number | undefined {
  const low32 = Number(n & 0xffffffffn);
  if (in6(n, p6('::ffff:0:0'), 96)) return low32; // IPv4-mapped
  if (in6(n, p6('64:ff9b::'), 96)) return low32; // NAT64 well-known prefix
  if (in6(n, 0n, 96) && n > 1n) return low32; // IPv4-compatible (deprecated)
  if (in6(n, p6('2002::'), 16)) return Number((n >> 80n) & 0xffffffffn); // 6to4
  return undefined;
}

function classify6(n: bigint): AddressClass {
  if (n === 0n) return 'unspecified';
  if (n === 1n) return 'loopback';
  const v4 = embeddedV4(n);
  if (v4 !== undefined) {
    const c = classify4(v4);
    // A 6to4/NAT64 wrapper around a public v4 is still an odd target; the v4 verdict decides.
    return c;
  }
  if (in6(n, p6('fc00::'), 7)) return 'private';
  if (in6(n, p6('fe80::'), 10)) return 'link-local';
  if (in6(n, p6('fec0::'), 10)) return 'private'; // deprecated site-local
  if (in6(n, p6('ff00::'), 8)) return 'multicast';
  if (in6(n, p6('2001:db8::'), 32)) return 'documentation';
  if (in6(n, p6('2001::'), 23)) return 'reserved'; // IETF protocol assignments incl. Teredo
  if (in6(n, p6('64:ff9b:1::'), 48)) return 'reserved'; // local-use NAT64
  if (in6(n, p6('100::'), 64)) return 'reserved'; // discard-only
  // Only global unicast (2000::/3) is routable on the internet.
  if (!in6(n, p6('2000::'), 3)) return 'reserved';
  return 'public';
}

/** Classifies an IP literal (v4 dotted or v6, brackets allowed); undefined if not an IP. */
export function classifyAddress(address: string): AddressClass | undefined {
  const v4 = v4ToInt(address);
  if (v4 !== undefined) return classify4(v4);
  const v6 = v6ToBigInt(address);
  return v6 === undefined ? undefined : classify6(v6);
}

// ---- allow-list ------------------------------------------------------------------------------

type Cidr = { v: 4; base: number; bits: number } | { v: 6; base: bigint; bits: number };

/**
 * Hosts (exact, case-insensitive; `*.example.test` for subdomains) and CIDRs or single IPs that
 * are allowed even though they are not public. For development and tests only.
 */
export class SsrfAllowList {
  private readonly hosts = new Set<string>();
  private readonly suffixes: string[] = [];
  private readonly cidrs: Cidr[] = [];

  static readonly empty = new SsrfAllowList([]);

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const e = raw.trim().toLowerCase();
      if (!e) continue;
      const [addr, bitsText] = e.split('/');
      const v4 = v4ToInt(addr);
      const v6 = v4 === undefined ? v6ToBigInt(addr) : undefined;
      if (v4 !== undefined || v6 !== undefined) {
        const max = v4 !== undefined ? 32 : 128;
        const bits = bitsText === undefined ? max : Number(bitsText);
        if (!Number.isInteger(bits) || bits < 0 || bits > max) throw new Error(`invalid allow-list CIDR '${raw}'`);
        this.cidrs.push(v4 !== undefined ? { v: 4, base: v4, bits } : { v: 6, base: v6!, bits });
      } else if (bitsText !== undefined) {
        throw new Error(`invalid allow-list CIDR '${raw}'`);
      } else if (e.startsWith('*.')) {
        this.suffixes.push(e.slice(1));
      } else if (/^[a-z0-9.-]+$/.test(e)) {
        this.hosts.add(e.replace(/\.$/, ''));
      } else {
        throw new Error(`invalid allow-list entry '${raw}'`);
      }
    }
  }

  /** From a comma-separated config value. */
  static parse(value: string | undefined): SsrfAllowList {
    return new SsrfAllowList((value ?? '').split(','));
  }

  get isEmpty(): boolean {
    return this.hosts.size === 0 && this.suffixes.length === 0 && this.cidrs.length === 0;
  }

  allowsHost(hostname: string): boolean {
    const h = hostname
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '');
    return this.hosts.has(h) || this.suffixes.some((s) => h.endsWith(s));
  }

  allowsAddress(address: string): boolean {
    const v4 = v4ToInt(address);
    if (v4 !== undefined) return this.cidrs.some((c) => c.v === 4 && in4(v4, c.base, c.bits));
    const v6 = v6ToBigInt(address);
    if (v6 === undefined) return false;
    const mapped = embeddedV4(v6);
    return this.cidrs.some((c) => (c.v === 6 ? in6(v6, c.base, c.bits) : mapped !== undefined && in6(v6, p6('::ffff:0:0'), 96) && in4(mapped, c.base, c.bits)));
  }
}

// ---- checks ----------------------------------------------------------------------------------

const ARTICLE: Record<AddressClass, string> = {
  public: 'a public',
  loopback: 'a loopback',
  private: 'a private',
  'link-local': 'a link-local',
  cgnat: 'a carrier-grade NAT',
  multicast: 'a multicast',
  unspecified: 'an unspecified',
  broadcast: 'a broadcast',
  reserved: 'a reserved',
  documentation: 'a documentation',
  benchmark: 'a benchmarking',
};

/** Why an address may not be dialled, or undefined when it may. */
export function addressRefusal(address: string, allowList: SsrfAllowList = SsrfAllowList.empty): string | undefined {
  const cls = classifyAddress(address);
  if (cls === undefined) return `is not an IP address`;
  if (cls === 'public' || allowList.allowsAddress(address)) return undefined;
  return `${ARTICLE[cls]} address ${address}`;
}

/** Names that mean "this machine" whatever DNS says. */
function isLocalName(host: string): boolean {
  const h = host.replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === 'localhost.localdomain';
}

/** Parses and checks the URL's shape only (scheme, credentials, host form); no DNS. */
export function parseTargetUrl(raw: string): { ok: true; url: URL; host: string; literal: boolean } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid absolute URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: `uses ${url.protocol.replace(/:$/, '')}: only http and https are allowed` };
  if (url.username || url.password) return { ok: false, reason: 'must not contain credentials' };
  // WHATWG URL has already turned numeric forms (2130706433, 0x7f000001, 0177.0.0.1, 127.1) into a dotted quad.
  const host = url.hostname.toLowerCase();
  if (!host) return { ok: false, reason: 'has no host' };
  const bare = host.replace(/^\[|\]$/g, '');
  const literal = isIP(bare) !== 0;
  return { ok: true, url, host: bare, literal };
}

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses.map((a) => a.address))));
  });

/**
 * Checks a webhook target: shape, then every address the host resolves to. A host on the
 * allow-list passes whatever it resolves to; otherwise every resolved address must be public or
 * covered by an allow-listed CIDR (one bad address fails the host: DNS may hand out either).
 */
export async function checkTarget(raw: string, opts: { allowList?: SsrfAllowList; resolve?: Resolver } = {}): Promise<TargetCheck> {
  const allowList = opts.allowList ?? SsrfAllowList.empty;
  const resolve = opts.resolve ?? systemResolver;
  const parsed = parseTargetUrl(raw);
  if (!parsed.ok) return parsed;
  const { url, host, literal } = parsed;
  if (literal) {
    if (allowList.allowsHost(host)) return { ok: true, url, addresses: [host] };
    const why = addressRefusal(host, allowList);
    return why ? { ok: false, reason: `host is ${why}` } : { ok: true, url, addresses: [host] };
  }
  const hostAllowed = allowList.allowsHost(host);
  if (!hostAllowed && isLocalName(host)) return { ok: false, reason: `host ${host} is a loopback name` };
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, reason: `host ${host} does not resolve (${code})` };
  }
  if (addresses.length === 0) return { ok: false, reason: `host ${host} does not resolve` };
  if (!hostAllowed) {
    for (const a of addresses) {
      const why = addressRefusal(a, allowList);
      if (why) return { ok: false, reason: `resolves to ${why}` };
    }
  }
  return { ok: true, url, addresses };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type LookupFn = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

export class SsrfError extends Error {
  readonly code = 'ESSRF';
  constructor(message: string) {
    super(message);
    this.name = 'SsrfError';
  }
}

/**
 * A `dns.lookup`-compatible function for `net.connect({ lookup })` / undici `connect: { lookup }`:
 * resolves as usual, then refuses the connection when any resolved address is disallowed, so
 * the address actually dialled is the one checked (no DNS rebinding between check and connect).
 */
export function safeLookup(allowList: SsrfAllowList = SsrfAllowList.empty, lookup: LookupFn = dnsLookup) {
  return (hostname: string, options: LookupOptions | number | undefined, callback: LookupCallback): void => {
    const opts: LookupOptions = typeof options === 'number' ? { family: options } : { ...(options ?? {}) };
    const wantAll = opts.all === true;
    const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
    const hostAllowed = allowList.allowsHost(host);
    if (!hostAllowed && isLocalName(host)) {
      callback(new SsrfError(`refused ${host}: a loopback name`), wantAll ? [] : '', undefined);
      return;
    }
    lookup(hostname, { ...opts, all: true }, (err, result) => {
      if (err) return callback(err, wantAll ? [] : '', undefined);
      const addresses = result as LookupAddress[];
      if (!hostAllowed) {
        for (const a of addresses) {
          const why = addressRefusal(a.address, allowList);
          if (why) return callback(new SsrfError(`refused ${host}: resolves to ${why}`), wantAll ? [] : '', undefined);
        }
      }
      if (addresses.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`no addresses for ${host}`);
        e.code = 'ENOTFOUND';
        return callback(e, wantAll ? [] : '', undefined);
      }
      if (wantAll) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
