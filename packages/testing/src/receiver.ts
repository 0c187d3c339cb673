import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { until } from './until.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** `Date.now()` when the body was complete. */
  receivedAt: number;
  /** What the receiver did with it. */
  answered: number | 'hang' | 'reset';
}

/** What the receiver does with one request. */
export type Behaviour =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  | { kind: 'hang' }
  /** Sends the status line and part of the body, then destroys the socket. */
  | { kind: 'reset' };

export const answer = {
  ok: (body = '{"ok":true}'): Behaviour => ({ kind: 'status', status: 200, body }),
  status: (status: number, body = ''): Behaviour => ({ kind: 'status', status, body }),
  retryAfter: (seconds: number, status = 429): Behaviour => ({
    kind: 'status',
    status,
    headers: { 'retry-after': String(seconds) },
  }),
  slow: (delayMs: number, status = 200): Behaviour => ({ kind: 'status', status, delayMs, body: '{"ok":true}' }),
  hang: (): Behaviour => ({ kind: 'hang' }),
  reset: (): Behaviour => ({ kind: 'reset' }),
};

/**
 * A real HTTP server on 127.0.0.1 that records every request and answers as told: by default
 * 200, or a standing behaviour (`setDefault`), or a queue of one-off behaviours (`next`), either
 * for every path or for one path prefix.
 */
export class TestReceiver {
  readonly requests: RecordedRequest[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();
  private defaults = new Map<string, Behaviour>();
  private queues = new Map<string, Behaviour[]>();

  static async start(): Promise<TestReceiver> {
    const r = new TestReceiver();
    await r.listen();
    return r;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The standing behaviour for paths starting with `pathPrefix` (default: every path). */
  setDefault(b: Behaviour, pathPrefix = '/'): this {
    this.defaults.set(pathPrefix, b);
    return this;
  }

  /** One-off behaviours, used in order before the standing one. */
  next(pathPrefix: string, ...bs: Behaviour[]): this {
    const q = this.queues.get(pathPrefix) ?? [];
    q.push(...bs);
    this.queues.set(pathPrefix, q);
    return this;
  }

  /** Back to answering 200 everywhere; releases hanging requests. */
  reset(): this {
    this.defaults.clear();
    this.queues.clear();
    this.releaseHanging();
    return this;
  }

  clear(): void {
    this.requests.length = 0;
  }

  received(pathPrefix = '/'): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix));
  }

  async waitFor(count: number, pathPrefix = '/', timeoutMs = 10_000): Promise<RecordedRequest[]> {
    await until(() => this.received(pathPrefix).length >= count, {
      timeoutMs,
      message: `${count} requests on ${pathPrefix} (have ${this.received(pathPrefix).length})`,
    });
    return this.received(pathPrefix);
  }

  releaseHanging(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  async close(): Promise<void> {
    this.releaseHanging();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private pick(path: string): Behaviour {
    const match = (m: Map<string, unknown>) => [...m.keys()].filter((p) => path.startsWith(p)).sort((a, b) => b.length - a.length)[0];
    const qKey = match(this.queues);
    if (qKey !== undefined) {
      const q = this.queues.get(qKey)!;
      const b = q.shift()!;
      if (q.length === 0) this.queues.delete(qKey);
      return b;
    }
    const dKey = match(this.defaults);
    return dKey !== undefined ? this.defaults.get(dKey)! : answer.ok();
  }

  private listen(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return new Promise((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const b = this.pick(path);
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
        answered: b.kind === 'status' ? b.status : b.kind,
      };
      this.requests.push(rec);
      switch (b.kind) {
        case 'hang':
          this.hanging.add(res);
          res.on('close', () => this.hanging.delete(res));
          return;
        case 'reset':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write('{"partial":');
          setImmediate(() => res.destroy());
          return;
        case 'status': {
          const send = () => {
            res.writeHead(b.status, { 'content-type': 'application/json', ...(b.headers ?? {}) });
            res.end(b.body ?? '');
          };
          if (b.delayMs) setTimeout(send, b.delayMs);
          else send();
          return;
        }
      }
    });
  }
}
