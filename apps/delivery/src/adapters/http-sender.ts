import { isIP } from 'node:net';
import type { safeLookup } from '@stagehook/platform';
import { Agent, errors as undiciErrors, request } from 'undici';

/** Response bodies kept in the attempt log (Svix keeps the first 20,000 bytes). */
export const RESPONSE_BODY_CAP = 20_000;
export const USER_AGENT = 'Stagehook-Webhooks/1.0 (+https://www.standardwebhooks.com)';

export type SafeLookup = ReturnType<typeof safeLookup>;

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** How much of the response body to read; RESPONSE_BODY_CAP when absent (a write-back stage reads more). */
  responseCap?: number;
}

export interface SendResult {
  statusCode: number | null;
  responseHeaders: Record<string, string>;
  responseBody: string;
  /** The body went on beyond the cap and was cut there. */
  truncated?: boolean;
  error: string | null;
  timedOut: boolean;
  durationMs: number;
  startedAt: Date;
}

export interface HttpSenderOptions {
  /** `dns.lookup`-compatible, refusing unsafe resolved addresses (platform `safeLookup`). */
  lookup: SafeLookup;
  /** For IP-literal URLs, which never go through a lookup: why the address is refused, or undefined. */
  refuseAddress: (address: string) => string | undefined;
  connections?: number | null;
}

/**
 * POSTs with undici `request` through one keep-alive Agent (a pool per origin). The SSRF check
 * runs at connect time on the address actually dialled; redirects are never followed (a 3xx is
 * a failed attempt); the whole attempt, body included, is bounded by the endpoint's timeout.
 */
export class HttpSender {
  private readonly agent: Agent;

  constructor(private readonly opts: HttpSenderOptions) {
    this.agent = new Agent({
      connect: { lookup: opts.lookup, timeout: 10_000 },
      // No per-origin connection cap: two endpoints on one host would share it, and a hanging
      // one would queue the other's requests inside undici. The dispatcher's per-endpoint cap
      // bounds connections instead.
      connections: opts.connections ?? null,
      keepAliveTimeout: 30_000,
      pipelining: 1,
    });
  }

  async send(req: SendRequest): Promise<SendResult> {
    const startedAt = new Date();
    const t0 = performance.now();
    const done = (r: Omit<SendResult, 'durationMs' | 'startedAt'>): SendResult => ({
      ...r,
      durationMs: Math.round(performance.now() - t0),
      startedAt,
    });
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return done({ statusCode: null, responseHeaders: {}, responseBody: '', error: 'invalid URL', timedOut: false });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return done({ statusCode: null, responseHeaders: {}, responseBody: '', error: `unsupported scheme ${url.protocol}`, timedOut: false });
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      const why = this.opts.refuseAddress(host);
      if (why) return done({ statusCode: null, responseHeaders: {}, responseBody: '', error: `SSRF: refused ${why}`, timedOut: false });
    }
    const signal = AbortSignal.timeout(req.timeoutMs);
    try {
      const res = await request(url, {
        method: 'POST',
        headers: req.headers,
        body: req.body,
        dispatcher: this.agent,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
        signal,
      });
      const { text: responseBody, truncated } = await readCapped(res.body, req.responseCap ?? RESPONSE_BODY_CAP);
      const responseHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v !== undefined) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      return done({ statusCode: res.statusCode, responseHeaders, responseBody, ...(truncated ? { truncated } : {}), error: null, timedOut: false });
    } catch (err) {
      const timedOut =
        signal.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError;
      return done({ statusCode: null, responseHeaders: {}, responseBody: '', error: describe(err, timedOut, req.timeoutMs), timedOut });
    }
  }

  async close(): Promise<void> {
    await this.agent.destroy();
  }
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, cap: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const room = cap - size;
    if (room <= 0 || chunk.length > room) truncated = true;
    if (room <= 0) break;
    chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    size += Math.min(chunk.length, room);
    if (size >= cap) break;
  }
  // Leaving the loop early (cap reached) stops reading; the rest is discarded with the socket.
  body.destroy();
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

function describe(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `timed out after ${timeoutMs} ms`;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const inner = e.cause ?? e;
  const code = inner.code ?? e.code;
  if (code === 'ESSRF') return `SSRF: ${inner.message ?? 'refused'}`;
  const msg = (inner.message ?? e.message ?? String(err)).slice(0, 500);
  return code ? `${code}: ${msg}` : msg;
}
