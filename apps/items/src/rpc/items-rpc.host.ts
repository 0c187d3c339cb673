import { Controller, Inject } from '@nestjs/common';
import { BusNamespace, IsStreamVersion, ItemsRpc, type RpcError, type RpcReplyOf } from '@stagehook/contracts';
import { DocumentStore, OnRequest } from '@stagehook/messaging';
import { NATS_CONNECTION, flattenValidationErrors, isDomainError, type NatsConnection } from '@stagehook/platform';
import { plainToInstance } from 'class-transformer';
import { IsOptional, IsString, IsUUID, Length, validateSync } from 'class-validator';
import { ItemsErrorCode } from '../domain/errors.js';
import { ItemsConfig } from '../config.js';
import { ItemsService } from '../items/items.service.js';

class ItemRequest {
  @IsString() @Length(1, 128) projectId!: string;
  @IsUUID() itemId!: string;
  @IsOptional() @IsStreamVersion() version?: number;
}

function parse<T extends object>(cls: new () => T, body: unknown): T | RpcError {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, code: 'invalid_request', message: 'request must be an object' };
  const req = plainToInstance(cls, body);
  const errors = validateSync(req, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length === 0) return req;
  const fields = flattenValidationErrors(errors).map((f) => `${f.path}: ${f.messages.join(', ')}`);
  return { ok: false, code: 'invalid_request', message: fields.join('; ') };
}

/** Maps what a lookup threw onto the RPC's error codes; anything else is the responder's bug. */
function rpcError(err: unknown): RpcError {
  if (isDomainError(err)) {
    if (err.code === ItemsErrorCode.ITEM_NOT_FOUND || err.code === 'NOT_FOUND') return { ok: false, code: 'not_found', message: err.message };
    if (err.code === ItemsErrorCode.VERSION_NOT_FOUND) return { ok: false, code: 'version_not_found', message: err.message };
  }
  throw err;
}

/**
 * Request/reply rather than an event, because the caller needs the answer now: the workflow
 * service asks `head` for the version a stage entry freezes, the delivery service asks
 * `darwinExport` for a payload frozen at that version. Queue group `items` shares requests
 * between replicas (Nest's NATS transport); callers set their own timeout.
 */
@Controller()
export class ItemsRpcHost {
  private readonly documents: DocumentStore;

  constructor(
    @Inject(NATS_CONNECTION) nats: NatsConnection,
    namespace: BusNamespace,
    private readonly items: ItemsService,
    @Inject(ItemsConfig) private readonly config: ItemsConfig,
  ) {
    this.documents = new DocumentStore(nats, namespace, { maxBytes: config.DOCUMENT_STORE_MAX_BYTES, replicas: config.STREAM_REPLICAS });
  }

  @OnRequest(ItemsRpc.head)
  async head(body: unknown): Promise<RpcReplyOf<typeof ItemsRpc.head>> {
    const req = parse(ItemRequest, body);
    if ('ok' in req) return req;
    try {
      return { ok: true, item: await this.items.head(req.projectId, req.itemId, req.version) };
    } catch (err) {
      return rpcError(err);
    }
  }

  @OnRequest(ItemsRpc.darwinExport)
  async darwinExport(body: unknown): Promise<RpcReplyOf<typeof ItemsRpc.darwinExport>> {
    const req = parse(ItemRequest, body);
    if ('ok' in req) return req;
    let exported;
    try {
      exported = await this.items.exportDarwin(req.projectId, req.itemId, req.version);
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
