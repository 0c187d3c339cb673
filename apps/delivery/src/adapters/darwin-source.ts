import { ItemsRpc, type ItemSummary, type RpcError } from '@stagehook/contracts';
import { DocumentMissingError, type DocumentStore, DocumentTooLargeError, type RpcClient, RpcUnavailableError } from '@stagehook/messaging';

export type DarwinFetch =
  /** `darwin` is null when the annotations were not asked for (a metadata-only payload). */
  | { kind: 'ok'; item: ItemSummary; darwin: Record<string, unknown> | null }
  /** The payload cannot be frozen, ever (`reason` starts with a code): the delivery fails at once. */
  | { kind: 'refused'; reason: string }
  /** Items (or the document store) did not answer: wait for it, the work is good. */
  | { kind: 'unavailable'; reason: string }
  /** Items answered with an error of its own: a counted retry. */
  | { kind: 'error'; reason: string };

/**
 * The item as of a stream version, from the items service: its summary (name, path, dataset,
 * slots, status, tags, metadata) for every stage payload, and with `annotations` its Darwin JSON
 * 2.0 document — inline in the `darwin-export` reply when small, otherwise from the bus's document
 * store (the reply names it). Exports above `maxBytes` are refused as `payload_too_large`
 * (README: size limits).
 */
export class DarwinSource {
  /** `rpc`: the platform's RpcClient; `documents`: the bus's document store, for big exports. */
  constructor(
    private readonly rpc: RpcClient,
    private readonly documents: DocumentStore,
    private readonly s: { timeoutMs: number; maxBytes: number },
  ) {}

  /**
   * `version` undefined: the item as it is now (the stage Test button). `known`: the summary a
   * stage entry carries — at `version`, it is the answer when the annotations are not asked for.
   */
  async fetch(projectId: string, itemId: string, version: number | undefined, { annotations, known }: { annotations: boolean; known?: ItemSummary }): Promise<DarwinFetch> {
    if (!annotations && known && version !== undefined && known.version === version && known.id === itemId && known.projectId === projectId) {
      return { kind: 'ok', item: known, darwin: null };
    }
    const what = annotations ? 'annotations' : 'item';
    const ask = async <T>(call: () => Promise<T>): Promise<T | DarwinFetch> => {
      try {
        return await call();
      } catch (err) {
        if (err instanceof RpcUnavailableError) return { kind: 'unavailable', reason: `items service unavailable for the ${what}` };
        throw err;
      }
    };
    if (!annotations) {
      const reply = await ask(() => this.rpc.request(ItemsRpc.head, { projectId, itemId, ...(version !== undefined ? { version } : {}) }, { timeoutMs: this.s.timeoutMs }));
      if ('kind' in reply) return reply;
      return reply.ok ? { kind: 'ok', item: reply.item, darwin: null } : refusal(what, reply);
    }
    const reply = await ask(() => this.rpc.request(ItemsRpc.darwinExport, { projectId, itemId, ...(version !== undefined ? { version } : {}) }, { timeoutMs: this.s.timeoutMs }));
    if ('kind' in reply) return reply;
    if (!reply.ok) return refusal(what, reply);
    if (reply.darwin) return { kind: 'ok', item: reply.item, darwin: reply.darwin };
    try {
      const bytes = await this.documents.get(reply.darwinRef, { maxBytes: this.s.maxBytes });
      return { kind: 'ok', item: reply.item, darwin: JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown> };
    } catch (err) {
      if (err instanceof DocumentTooLargeError) return { kind: 'refused', reason: `payload_too_large: ${err.message}` };
      // Expired before it was read (a consumer stalled past the store's TTL): asking again re-exports it.
      if (err instanceof DocumentMissingError) return { kind: 'error', reason: err.message };
      return { kind: 'unavailable', reason: `document store: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
}

/** An error reply from items: refused for good (the delivery fails at once), or a counted retry. */
function refusal(what: string, reply: RpcError): DarwinFetch {
  switch (reply.code) {
    case 'not_found':
    case 'version_not_found':
    case 'invalid_request':
      return { kind: 'refused', reason: `${what} unavailable: ${reply.code}` };
    case 'payload_too_large':
    case 'reply_too_large':
      return { kind: 'refused', reason: `payload_too_large: ${reply.message}` };
    default:
      return { kind: 'error', reason: `items answered ${reply.code}` };
  }
}
