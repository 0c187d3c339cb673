import { Controller } from '@nestjs/common';
import { ItemsRpc, type ItemSummary, type RpcReplyOf } from '@stagehook/contracts';
import { OnRequest } from '@stagehook/messaging';
import { NotFoundError } from '@stagehook/platform';
import { ItemsQueryRepository, toSummary } from '../../persistence/items.query-repository.js';
import { ItemRequest, parse, rpcError } from '../shared/rpc-request.js';

/**
 * `ItemsRpc.head`, request/reply rather than an event because the caller needs the answer now: the
 * workflow service asks for the version a stage entry freezes. Queue group `items` shares requests
 * between replicas (Nest's NATS transport); callers set their own timeout.
 */
@Controller()
export class ItemHeadRpc {
  constructor(private readonly items: ItemsQueryRepository) {}

  @OnRequest(ItemsRpc.head)
  async head(body: unknown): Promise<RpcReplyOf<typeof ItemsRpc.head>> {
    const req = parse(ItemRequest, body);
    if ('ok' in req) return req;
    try {
      return { ok: true, item: await this.summary(req.projectId, req.itemId, req.version) };
    } catch (err) {
      return rpcError(err);
    }
  }

  /** The item now, or as of `version` (its status and tags then; `version_not_found` beyond its head). */
  private async summary(projectId: string, itemId: string, version?: number): Promise<ItemSummary> {
    const { view, dataset } = await this.items.requireItemAndDataset(projectId, itemId);
    if (!dataset) throw new NotFoundError(`dataset of item ${itemId} not found`);
    if (version === undefined || version === view.version) return toSummary(view, dataset);
    const { state, version: at } = await this.items.load(itemId, version);
    return toSummary(view, dataset, state, at);
  }
}
