/**
 * A Stagehook webhook receiver, small enough to copy. It
 *  - verifies the Standard Webhooks signature (and the Authorization header you configured),
 *  - dedupes retries by `webhook-id` (a retry carries the same id and the same body),
 *  - counts the annotations in the Darwin JSON 2.0 a webhook stage sends, and tags items that
 *    have fewer than their `expected_annotations` metadata says ("missing annotations"),
 *  - prints a notification line for items tagged "urgent" (where you would call Slack or Zapier),
 *  - and, for the demo, answers 500 on purpose to some requests so retries and the stage's
 *    `failed` route can be seen.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createStagehookClient } from '@stagehook/sdk';
import { verifyWebhook, WebhookVerificationError } from '@stagehook/sdk/verify';

export interface ReceiverOptions {
  /** Signing secrets (`whsec_…`) of the endpoints that call this receiver; any may match. */
  secrets: string[];
  /** When set, requests to /stage must carry exactly this Authorization header. */
  expectedAuthorization?: string;
  /** Items API and a project token, to tag items; tagging is skipped when absent. */
  itemsUrl?: string;
  itemsToken?: string;
  /** Percent of deliveries answered 500 the first time (retried, then accepted). */
  flakyPercent?: number;
  /** Percent of items always answered 500 (they exhaust their attempts and take `failed`). */
  brokenPercent?: number;
  log?: (line: string) => void;
}

export interface ReceiverStats {
  received: number;
  accepted: number;
  rejectedSignature: number;
  rejectedAuthorization: number;
  failedOnPurpose: number;
  duplicates: number;
  annotationsCounted: number;
  taggedMissing: number;
  notifications: number;
  byType: Record<string, number>;
  /** Milliseconds from the event's timestamp to receipt, per accepted delivery. */
  latenciesMs: number[];
}

interface Annotation {
  name?: string;
  tag?: object;
}

interface WebhookBody {
  type: string;
  timestamp: string;
  data: {
    itemId?: string;
    stageName?: string;
    item?: { name?: string; tags?: string[]; metadata?: Record<string, unknown> };
    annotations?: { annotations?: Annotation[] };
    oldStatus?: string;
    newStatus?: string;
  };
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** A stable 0–99 bucket, so the demo's failures are the same on every run. */
function bucket(key: string): number {
  return createHash('sha256').update(key).digest().readUInt16BE(0) % 100;
}

export function createReceiver(opts: ReceiverOptions): { server: Server; stats: ReceiverStats } {
  // Stagehook's typed client for the items API (only tagging is used here).
  const items = opts.itemsUrl && opts.itemsToken ? createStagehookClient({ baseUrl: () => opts.itemsUrl as string, token: opts.itemsToken }).items : undefined;
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const seen = new Set<string>();
  const failedOnce = new Set<string>();
  const stats: ReceiverStats = {
    received: 0,
    accepted: 0,
    rejectedSignature: 0,
    rejectedAuthorization: 0,
    failedOnPurpose: 0,
    duplicates: 0,
    annotationsCounted: 0,
    taggedMissing: 0,
    notifications: 0,
    byType: {},
    latenciesMs: [],
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`receiver error: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) reply(res, 500, { error: 'receiver error' });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/health') return reply(res, 200, { status: 'ok' });
    if (req.method === 'GET' && req.url === '/stats') return reply(res, 200, stats);
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' });

    const raw = await readBody(req);
    stats.received++;
    if (req.url === '/stage' && opts.expectedAuthorization && req.headers.authorization !== opts.expectedAuthorization) {
      stats.rejectedAuthorization++;
      return reply(res, 401, { error: 'wrong authorization header' });
    }
    const body = verify(raw, req.headers);
    if (!body) {
      stats.rejectedSignature++;
      return reply(res, 401, { error: 'bad signature' });
    }

    const webhookId = String(req.headers['webhook-id']);
    if (body.type === 'workflow.stage.entered' && shouldFailOnPurpose(webhookId, body.data.itemId ?? webhookId)) {
      stats.failedOnPurpose++;
      return reply(res, 500, { error: 'failing on purpose (demo)' });
    }
    if (seen.has(webhookId)) {
      // A retry of something already handled: acknowledge it again, do nothing twice.
      stats.duplicates++;
      return reply(res, 200, { duplicate: true });
    }
    seen.add(webhookId);
    stats.accepted++;
    stats.byType[body.type] = (stats.byType[body.type] ?? 0) + 1;
    stats.latenciesMs.push(Math.max(0, Date.now() - Date.parse(body.timestamp)));
    reply(res, 200, { ok: true });
    await act(body);
  }

  function verify(raw: string, headers: IncomingMessage['headers']): WebhookBody | null {
    if (opts.secrets.length === 0) return null;
    try {
      // The SDK's Standard Webhooks check (the `standardwebhooks` library): signature, timestamp tolerance.
      return verifyWebhook<WebhookBody>({ secrets: opts.secrets, headers, body: raw });
    } catch (err) {
      if (err instanceof WebhookVerificationError) return null;
      throw err;
    }
  }

  function shouldFailOnPurpose(webhookId: string, itemId: string): boolean {
    if (bucket(`broken:${itemId}`) < (opts.brokenPercent ?? 0)) return true;
    if (bucket(`flaky:${webhookId}`) < (opts.flakyPercent ?? 0) && !failedOnce.has(webhookId)) {
      failedOnce.add(webhookId);
      return true;
    }
    return false;
  }

  /** What a user's receiver does with the event; runs after the 200 so the sender is not held. */
  async function act(body: WebhookBody): Promise<void> {
    const { data } = body;
    if (body.type === 'workflow.stage.entered' && data.annotations) {
      const shapes = (data.annotations.annotations ?? []).filter((a) => !a.tag);
      stats.annotationsCounted += shapes.length;
      const expected = Number(data.item?.metadata?.expected_annotations);
      if (data.itemId && Number.isFinite(expected) && shapes.length < expected) {
        log(`✎ ${data.item?.name ?? data.itemId}: ${shapes.length} of ${expected} annotated → tagging "missing annotations"`);
        if (await tag(data.itemId, 'missing annotations')) stats.taggedMissing++;
      }
    }
    if (data.item?.tags?.includes('urgent')) {
      stats.notifications++;
      log(`🔔 [slack] urgent item ${data.item.name ?? data.itemId} entered ${data.stageName ?? 'a stage'}`);
    }
  }

  async function tag(itemId: string, name: string): Promise<boolean> {
    if (!items) return false;
    const { response, error } = await items.POST('/items/{itemId}/tags', { params: { path: { itemId } }, body: { name } });
    if (!response.ok) log(`tagging ${itemId} failed: ${response.status} ${JSON.stringify(error)}`);
    return response.ok;
  }

  return { server, stats };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
