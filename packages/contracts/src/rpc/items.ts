import type { ItemStatus } from '../events/items.js';
import { type DocumentRef, rpcSpec } from './rpc.js';

/** One slot of an item (a single-image item has one, named "0"): what a receiver needs to fetch it. */
export interface ItemSlotSummary {
  name: string;
  /** `image`, `video`, `dicom`, `pdf`, … */
  type: string;
  width: number | null;
  height: number | null;
  sourceUrl: string | null;
}

/** What other services may know about an item without reading the items database. */
export interface ItemSummary {
  id: string;
  projectId: string;
  datasetId: string;
  datasetName: string;
  datasetSlug: string;
  name: string;
  path: string;
  status: ItemStatus;
  tags: string[];
  /** The item's stream version this summary describes. */
  version: number;
  metadata: Record<string, unknown>;
  slots: ItemSlotSummary[];
}

export interface ItemHeadRequest {
  projectId: string;
  itemId: string;
  /** The item as of this stream version (status and tags then); the latest when absent. */
  version?: number;
}

export interface ItemHeadReply {
  item: ItemSummary;
}

export interface ItemDarwinExportRequest {
  projectId: string;
  itemId: string;
  /** The stream version to export as of; the latest when absent. */
  version?: number;
}

/**
 * The Darwin JSON 2.0 document (see darwin.ts) exactly as the item was at `item.version`: inline
 * when small, otherwise in the bus's document store (`darwinRef`, UTF-8 JSON). Exactly one of the
 * two is set. An export above the responder's bound is the error `payload_too_large`.
 */
export type ItemDarwinExportReply =
  { item: ItemSummary; darwin: Record<string, unknown>; darwinRef?: undefined } | { item: ItemSummary; darwin?: undefined; darwinRef: DocumentRef };

/**
 * Served by the items service (queue group `items`). The workflow service asks `head` for the
 * version a stage entry freezes; the delivery service asks `head` at that version for a
 * metadata-only stage payload, `darwinExport` for one with annotations.
 */
export const ItemsRpc = {
  head: rpcSpec<ItemHeadRequest, ItemHeadReply>('rpc.items.head.v2'),
  darwinExport: rpcSpec<ItemDarwinExportRequest, ItemDarwinExportReply>('rpc.items.darwin-export.v2'),
} as const;
