import { Injectable } from '@nestjs/common';
import { ItemsRpc, STAGE_ITEM_SUMMARY_MAX_BYTES, StageItemSummary, type ItemSummary } from '@stagehook/contracts';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DependencyUnavailableError, RpcClient, RpcUnavailableError } from '@stagehook/messaging';
import { DomainError } from '@stagehook/platform';
import { WorkflowConfig } from '../config.js';
import { WorkflowErrorCode } from '../domain/errors.js';

export class ItemsUnavailableError extends DomainError {
  constructor(
    detail: string,
    /** No reply at all (items is down), as opposed to an error reply. */
    readonly noReply = false,
  ) {
    super(WorkflowErrorCode.ITEMS_UNAVAILABLE, `the items service did not answer; try again (${detail})`);
  }
}

/** An item's current version, with the summary a stage entry may carry (see ItemHeads.head). */
export interface ItemHead {
  version: number;
  item?: ItemSummary;
}

/** Whether a stage entry may carry this summary: small, and what the contracts accept. */
function carriable(item: ItemSummary): boolean {
  if (Buffer.byteLength(JSON.stringify(item)) > STAGE_ITEM_SUMMARY_MAX_BYTES) return false;
  return validateSync(plainToInstance(StageItemSummary, item)).length === 0;
}

/**
 * The items service's current version of an item, asked at command time. Decision: ask rather
 * than keep a copy from `item.*` events, because the items service commits an annotation before
 * answering the annotator, so a `head` sent after that answer sees it; a copy fed by events could
 * lag behind and freeze a payload without the annotation just saved. When items does not answer,
 * the command fails (503) instead of freezing a version that may be wrong.
 */
@Injectable()
export class ItemHeads {
  constructor(
    private readonly rpc: RpcClient,
    private readonly config: WorkflowConfig,
  ) {}

  /**
   * The item's version and, when a stage entry can carry it (small, and valid as the contracts
   * check it), the summary items answered with; null when items does not know the item in this
   * project.
   */
  async head(projectId: string, itemId: string): Promise<ItemHead | null> {
    let reply;
    try {
      reply = await this.rpc.request(ItemsRpc.head, { projectId, itemId }, { timeoutMs: this.config.ITEMS_RPC_TIMEOUT_MS });
    } catch (err) {
      if (err instanceof RpcUnavailableError) throw new ItemsUnavailableError('no reply', true);
      throw err;
    }
    if (reply.ok) return { version: reply.item.version, ...(carriable(reply.item) ? { item: reply.item } : {}) };
    if (reply.code === 'not_found') return null;
    throw new ItemsUnavailableError(reply.code);
  }

  /** The item's version, or null when the items service does not know it in this project. */
  async version(projectId: string, itemId: string): Promise<number | null> {
    return (await this.head(projectId, itemId))?.version ?? null;
  }

  /**
   * For consumers, from a handler's `prepare` (never inside its transaction): items not answering
   * at all is an outage to wait out in place; an error reply stays a counted failure.
   */
  async headOrWait(projectId: string, itemId: string): Promise<ItemHead | null> {
    try {
      return await this.head(projectId, itemId);
    } catch (err) {
      if (err instanceof ItemsUnavailableError && err.noReply) throw new DependencyUnavailableError('the items service', err.message, { cause: err });
      throw err;
    }
  }

  async versionOrWait(projectId: string, itemId: string): Promise<number | null> {
    return (await this.headOrWait(projectId, itemId))?.version ?? null;
  }

  /** Versions of many items, `ITEMS_RPC_CONCURRENCY` requests at a time; unknown ids listed apart. */
  async versions(projectId: string, itemIds: readonly string[]): Promise<{ versions: Map<string, number>; unknown: string[] }> {
    const versions = new Map<string, number>();
    const unknown: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < itemIds.length) {
        const id = itemIds[next++];
        const v = await this.version(projectId, id);
        if (v === null) unknown.push(id);
        else versions.set(id, v);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.ITEMS_RPC_CONCURRENCY, itemIds.length) }, worker));
    const missing = new Set(unknown);
    // In request order, so the 422 lists them as the client sent them.
    return { versions, unknown: itemIds.filter((id) => missing.has(id)) };
  }
}
