import { connect, createServer, type AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from '@jest/globals';
import { checkTarget, classifyAddress, normaliseIPv4, safeLookup, SsrfAllowList, type Resolver } from '../src/security/ssrf.js';

// Hostnames used by the table resolve through this fake; anything else does not resolve.
const DNS: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  localhost: ['127.0.0.1', '::1'],
  'v6.example.com': ['2606:2800:220:1:248:1893:25c8:1946'],
  'internal.example.com': ['10.0.0.5'],
  'rebind.example.com': ['93.184.216.34', '127.0.0.1'],
  'metadata.example.com': ['169.254.169.254'],
  'cgnat.example.com': ['100.64.1.1'],
  'ula.example.com': ['fd12:3456::1'],
  'mapped.example.com': ['::ffff:192.168.1.1'],
  'nat64.example.com': ['64:ff9b::a00:1'],
  'dev.internal.test': ['10.1.2.3'],
  'svc.cluster.test': ['172.20.0.7'],
};
const fakeResolve: Resolver = (host) => {
  const hit = DNS[host];
  if (hit) return Promise.resolve(hit);
  return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
};

const HOSTILE: Array<[url: string, reason: string]> = [
  ['http://127.0.0.1/', 'loopback address 127.0.0.1'],
  ['http://127.0.0.1:8080/hook', 'loopback'],
  ['http://127.1/', 'loopback address 127.0.0.1'],
  ['http://2130706433/', 'loopback address 127.0.0.1'],
  ['http://0x7f000001/', 'loopback address 127.0.0.1'],
  ['http://0x7f.0.0.1/', 'loopback address 127.0.0.1'],
  ['http://0177.0.0.1/', 'loopback address 127.0.0.1'],
  ['http://017700000001/', 'loopback address 127.0.0.1'],
  ['http://127.000.000.001/', 'loopback'],
  ['http://localhost/', 'loopback name'],
  ['http://LOCALHOST./', 'loopback name'],
  ['http://api.localhost/', 'loopback name'],
  ['http://[::1]/', 'loopback address ::1'],
  ['http://[0:0:0:0:0:0:0:1]/', 'loopback'],
  ['http://[::]/', 'unspecified'],
  ['http://0.0.0.0/', 'unspecified address 0.0.0.0'],
  ['http://0/', 'unspecified'],
  ['http://[::ffff:127.0.0.1]/', 'loopback'],
  ['http://[::ffff:7f00:1]/', 'loopback'],
  ['http://[::ffff:10.0.0.1]/', 'private'],
  ['http://[64:ff9b::7f00:1]/', 'loopback'],
  ['http://[2002:7f00:1::]/', 'loopback'],
  ['http://10.0.0.5/', 'private address 10.0.0.5'],
  ['http://172.16.0.1/', 'private'],
  ['http://172.31.255.255/', 'private'],
  ['http://192.168.1.1/', 'private'],
  ['http://3232235777/', 'private address 192.168.1.1'],
  ['http://169.254.169.254/latest/meta-data/', 'link-local address 169.254.169.254'],
  ['http://0xa9fea9fe/', 'link-local address 169.254.169.254'],
  ['http://[fe80::1]/', 'link-local'],
  ['http://[fd00::1]/', 'private'],
  ['http://[fc00::1]/', 'private'],
  ['http://[ff02::1]/', 'multicast'],
  ['http://100.64.0.1/', 'carrier-grade NAT'],
  ['http://100.127.255.254/', 'carrier-grade NAT'],
  ['http://224.0.0.1/', 'multicast'],
  ['http://239.255.255.250/', 'multicast'],
  ['http://255.255.255.255/', 'broadcast'],
  ['http://240.0.0.1/', 'reserved'],
  ['http://192.0.2.10/', 'documentation'],
  ['http://198.51.100.7/', 'documentation'],
  ['http://203.0.113.9/', 'documentation'],
  ['http://198.18.0.1/', 'benchmarking'],
  ['http://192.0.0.8/', 'reserved'],
  ['http://[2001:db8::1]/', 'documentation'],
  ['http://[100::1]/', 'reserved'],
  ['http://internal.example.com/hook', 'resolves to a private address 10.0.0.5'],
  ['https://metadata.example.com/', 'resolves to a link-local address 169.254.169.254'],
  ['https://rebind.example.com/', 'resolves to a loopback address 127.0.0.1'],
  ['https://cgnat.example.com/', 'resolves to a carrier-grade NAT address 100.64.1.1'],
  ['https://ula.example.com/', 'resolves to a private address fd12:3456::1'],
  ['https://mapped.example.com/', 'resolves to a private address ::ffff:192.168.1.1'],
  ['https://nat64.example.com/', 'resolves to a private address 64:ff9b::a00:1'],
  ['https://nowhere.example.com/', 'does not resolve'],
  ['ftp://hooks.example.com/', 'only http and https'],
  ['file:///etc/passwd', 'only http and https'],
  ['gopher://hooks.example.com/', 'only http and https'],
  ['javascript:alert(1)', 'only http and https'],
  ['https://user:pass@hooks.example.com/', 'credentials'],
  ['https://user@hooks.example.com/', 'credentials'],
  ['not a url', 'not a valid absolute URL'],
  ['/relative/path', 'not a valid absolute URL'],
];

describe('checkTarget refuses hostile URLs', () => {
  it('has a table of at least 40', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(HOSTILE)('%s → %s', async (url, reason) => {
    const r = await checkTarget(url, { resolve: fakeResolve });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe('checkTarget accepts public targets', () => {
  it.each([
    ['https://hooks.example.com/webhook', ['93.184.216.34']],
    ['http://93.184.216.34:8080/x', ['93.184.216.34']],
    ['https://v6.example.com/', ['2606:2800:220:1:248:1893:25c8:1946']],
    ['https://[2606:4700::1111]/', ['2606:4700::1111']],
    ['https://8.8.8.8/', ['8.8.8.8']],
  ])('%s', async (url, addresses) => {
    expect(await checkTarget(url, { resolve: fakeResolve })).toMatchObject({ ok: true, addresses });
  });
});

describe('the allow-list', () => {
  const allowList = SsrfAllowList.parse('localhost, dev.internal.test, *.cluster.test, 127.0.0.0/8, 192.168.10.0/24, fd00::/8');

  it.each([
    'http://localhost:3000/hook',
    'http://127.0.0.1:9999/',
    'http://[::ffff:127.0.0.1]/',
    'http://192.168.10.20/',
    'http://dev.internal.test/',
    'http://svc.cluster.test/',
    'http://[fd00::5]/',
  ])('opens %s', async (url) => {
    expect((await checkTarget(url, { allowList, resolve: fakeResolve })).ok).toBe(true);
  });

  it.each(['http://192.168.11.1/', 'http://10.0.0.5/', 'http://internal.example.com/', 'http://169.254.169.254/', 'http://[fe80::1]/'])('keeps %s closed', async (url) => {
    expect((await checkTarget(url, { allowList, resolve: fakeResolve })).ok).toBe(false);
  });

  it('refuses malformed entries', () => {
    expect(() => SsrfAllowList.parse('10.0.0.0/33')).toThrow('invalid');
    expect(() => SsrfAllowList.parse('bad host!')).toThrow('invalid');
    expect(SsrfAllowList.parse('').isEmpty).toBe(true);
  });
});

describe('address helpers', () => {
  it('normalises numeric IPv4 tricks like inet_aton', () => {
    expect(normaliseIPv4('2130706433')).toBe('127.0.0.1');
    expect(normaliseIPv4('0x7f000001')).toBe('127.0.0.1');
    expect(normaliseIPv4('0177.0.0.1')).toBe('127.0.0.1');
    expect(normaliseIPv4('127.1')).toBe('127.0.0.1');
    expect(normaliseIPv4('10.1.1')).toBe('10.1.0.1');
    expect(normaliseIPv4('256.0.0.1')).toBeUndefined();
    expect(normaliseIPv4('example.com')).toBeUndefined();
  });

  it('classifies addresses', () => {
    expect(classifyAddress('1.1.1.1')).toBe('public');
    expect(classifyAddress('172.15.255.255')).toBe('public');
    expect(classifyAddress('172.32.0.0')).toBe('public');
    expect(classifyAddress('100.128.0.0')).toBe('public');
    expect(classifyAddress('::ffff:8.8.8.8')).toBe('public');
    expect(classifyAddress('fe80::1%eth0')).toBe('link-local');
    expect(classifyAddress('3fff::1')).toBe('public');
    expect(classifyAddress('4000::1')).toBe('reserved');
    expect(classifyAddress('nope')).toBeUndefined();
  });
});

describe('safeLookup at connect time', () => {
  type Cb = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
  const fakeLookup = (table: Record<string, LookupAddress[]>) => (host: string, _o: unknown, cb: Cb) => cb(null, table[host] ?? []);
  const run = (lookup: ReturnType<typeof safeLookup>, host: string, all = false) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) => lookup(host, { all }, (err, address) => resolve({ err, address })));

  const table = {
    'good.test': [{ address: '93.184.216.34', family: 4 }],
    'rebound.test': [{ address: '127.0.0.1', family: 4 }],
    'mixed.test': [
      { address: '93.184.216.34', family: 4 },
      { address: '::1', family: 6 },
    ],
  };

  it('passes public addresses in both callback forms', async () => {
    const lookup = safeLookup(SsrfAllowList.empty, fakeLookup(table));
    expect(await run(lookup, 'good.test')).toEqual({ err: null, address: '93.184.216.34' });
    expect(await run(lookup, 'good.test', true)).toEqual({ err: null, address: table['good.test'] });
  });

  it('refuses a host that now resolves to a private address', async () => {
    const lookup = safeLookup(SsrfAllowList.empty, fakeLookup(table));
    const r1 = await run(lookup, 'rebound.test');
    expect(r1.err?.code).toBe('ESSRF');
    expect(r1.err?.message).toContain('loopback address 127.0.0.1');
    expect((await run(lookup, 'mixed.test', true)).err?.code).toBe('ESSRF');
  });

  it('lets allow-listed hosts and CIDRs through', async () => {
    expect((await run(safeLookup(SsrfAllowList.parse('rebound.test'), fakeLookup(table)), 'rebound.test')).err).toBeNull();
    expect((await run(safeLookup(SsrfAllowList.parse('127.0.0.0/8'), fakeLookup(table)), 'rebound.test')).err).toBeNull();
  });

  it('stops a real net.connect to loopback', async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const attempt = (allow: SsrfAllowList) =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: 'localhost', port, lookup: safeLookup(allow), family: 4 });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
    try {
      expect(await attempt(SsrfAllowList.empty)).toBe('ESSRF');
      expect(await attempt(SsrfAllowList.parse('localhost'))).toBe('connected');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
