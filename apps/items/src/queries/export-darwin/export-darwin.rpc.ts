import { Controller, Inject } from '@nestjs/common';
import { ItemsRpc, type RpcReplyOf } from '@stagehook/contracts';
import { DocumentStore, OnRequest } from '@stagehook/messaging';
import { ItemsConfig } from '../../config.js';
import { ItemRequest, parse, rpcError } from '../shared/rpc-request.js';
import { ExportDarwinQuery } from './export-darwin.query.js';

/**
 * `ItemsRpc.darwinExport`, request/reply rather than an event because the caller needs the answer
 * now: the delivery service asks for a payload frozen at the version a stage entry froze. Queue
 * group `items` shares requests between replicas (Nest's NATS transport); callers set their own
 * timeout.
 */
@Controller()
export class ExportDarwinRpc {
  constructor(
    private readonly documents: DocumentStore,
    private readonly query: ExportDarwinQuery,
    @Inject(ItemsConfig) private readonly config: ItemsConfig,
  ) {}

  @OnRequest(ItemsRpc.darwinExport)
  async darwinExport(body: unknown): Promise<RpcReplyOf<typeof ItemsRpc.darwinExport>> {
    const req = parse(ItemRequest, body);
    if ('ok' in req) return req;
    let exported;
    try {
      exported = await this.query.exportDarwin(req.projectId, req.itemId, req.version);
    } catch (err) {
      return rpcError(err);
    }
    const { item, darwin } = exported;
    const json = Buffer.from(JSON.stringify(darwin));
    if (json.byteLength > this.config.DARWIN_EXPORT_MAX_BYTES) {
      return { ok: false, code: 'payload_too_large', message: `the Darwin export is ${json.byteLength} bytes; at most ${this.config.DARWIN_EXPORT_MAX_BYTES} are sent` };
    }
    if (json.byteLength <= this.config.DARWIN_INLINE_MAX_BYTES) return { ok: true, item, darwin };
    // Too big for one NATS message: the export of a stream version never changes, so its
    // name identifies it for good and a second request reuses the stored document.
    const darwinRef = await this.documents.put(`darwin/${item.projectId}/${item.id}/${item.version}`, json);
    return { ok: true, item, darwinRef };
  }
}
