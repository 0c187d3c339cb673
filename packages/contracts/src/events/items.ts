import { IsIn, IsInt, IsISO8601, IsOptional, Min, ValidateIf } from 'class-validator';
import { IsId, IsShortText } from './common.js';
import type { EventSpec } from '../spec.js';

/** Hasty's lifecycle. */
export const ITEM_STATUSES = ['new', 'in_progress', 'to_review', 'done', 'skipped', 'archived'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export class ItemStatusChangedData {
  @IsId() itemId!: string;
  @IsId() datasetId!: string;
  @IsId() projectId!: string;
  @IsIn(ITEM_STATUSES) from!: ItemStatus;
  @IsIn(ITEM_STATUSES) to!: ItemStatus;
  /** A user id, or `workflow:<stageId>` when a stage entry changed it. */
  @IsShortText(200) changedBy!: string;
  @ValidateIf((_o, v) => v !== null)
  @IsShortText(1000)
  reason!: string | null;
  /** The item's stream version after the change. */
  @IsInt() @Min(1) itemVersion!: number;
  @IsISO8601({ strict: true }) changedAt!: string;
  @IsOptional() @IsShortText(500) itemName?: string;
}

/** WIRE NAMES: never rename without a migration. */
export const ItemEvents = {
  'item.status.changed': { schemaVersion: 1, dataClass: ItemStatusChangedData, stream: 'ITEMS' },
} as const satisfies Record<string, EventSpec>;
