import { IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, IsUrl, Min, ValidateIf } from 'class-validator';
import { IsId, IsShortText, IsStreamVersion } from './common.js';
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
  @IsStreamVersion() itemVersion!: number;
  @IsISO8601({ strict: true }) changedAt!: string;
  @IsOptional() @IsShortText(500) itemName?: string;
  /**
   * The dataset's name and slug when the item changed status, for receivers that show them
   * (datasets are not event-sourced, so a consumer could not look them up). Absent on events
   * written before they were added; optional, so no schema version bump.
   */
  @IsOptional() @IsShortText(200) datasetName?: string;
  @IsOptional() @IsShortText(100) datasetSlug?: string;
  /** The workflow visit that caused the change, when a stage entry did. */
  @IsOptional() @IsId() visitId?: string;
}

/** An image item as registered; its annotations arrive as later events. */
export class ItemRegisteredData {
  @IsId() itemId!: string;
  @IsId() datasetId!: string;
  @IsId() projectId!: string;
  @IsShortText(500) name!: string;
  @IsShortText(1000) path!: string;
  @IsIn(['image']) slotType!: 'image';
  @IsInt() @Min(1) width!: number;
  @IsInt() @Min(1) height!: number;
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ require_tld: false })
  sourceUrl!: string | null;
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ require_tld: false })
  thumbnailUrl!: string | null;
  @IsObject() metadata!: Record<string, unknown>;
  @IsISO8601({ strict: true }) registeredAt!: string;
}

/**
 * An annotation added or replaced. `annotation` is a Darwin JSON 2.0 annotation (darwin.ts),
 * validated by the items service before it is stored.
 */
export class ItemAnnotationData {
  @IsId() itemId!: string;
  @IsId() datasetId!: string;
  @IsId() projectId!: string;
  @IsObject() annotation!: Record<string, unknown>;
  @IsISO8601({ strict: true }) at!: string;
}

export class ItemAnnotationDeletedData {
  @IsId() itemId!: string;
  @IsId() datasetId!: string;
  @IsId() projectId!: string;
  @IsId() annotationId!: string;
  @IsString() name!: string;
  @IsISO8601({ strict: true }) at!: string;
}

/** A tag is a Darwin `tag` annotation: `annotation.tag` is `{}` and `annotation.name` the tag. */
export class ItemTagAddedData extends ItemAnnotationData {}

export class ItemTagRemovedData extends ItemAnnotationDeletedData {}

/** WIRE NAMES: never rename without a migration. */
export const ItemEvents = {
  'item.registered': { schemaVersion: 1, dataClass: ItemRegisteredData, stream: 'ITEMS' },
  'item.status.changed': { schemaVersion: 1, dataClass: ItemStatusChangedData, stream: 'ITEMS' },
  'item.annotation.added': { schemaVersion: 1, dataClass: ItemAnnotationData, stream: 'ITEMS' },
  'item.annotation.updated': { schemaVersion: 1, dataClass: ItemAnnotationData, stream: 'ITEMS' },
  'item.annotation.deleted': { schemaVersion: 1, dataClass: ItemAnnotationDeletedData, stream: 'ITEMS' },
  'item.tag.added': { schemaVersion: 1, dataClass: ItemTagAddedData, stream: 'ITEMS' },
  'item.tag.removed': { schemaVersion: 1, dataClass: ItemTagRemovedData, stream: 'ITEMS' },
} as const satisfies Record<string, EventSpec>;
