import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, IsUrl, Matches, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
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

/** Most slots one item may have (V7's multi-slot and multi-channel items hold a handful). */
export const MAX_ITEM_SLOTS = 64;
/**
 * Slot names and types: V7 uses "0", "1", file names ("image_1.jpg"), and image/video/dicom/pdf/…
 * (darwin-py's image_new_annotations_with_properties export even has type "image.jpg").
 */
export const SLOT_NAME_PATTERN = /^\P{Cc}{1,200}$/u;
export const SLOT_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/+-]{0,99}$/;

/** One slot of an item (Darwin `item.slots[]`): a file the annotations are drawn on. */
export class ItemSlotData {
  @IsString() @Matches(SLOT_NAME_PATTERN) name!: string;
  @IsString() @Matches(SLOT_TYPE_PATTERN) type!: string;
  /** Pixels; null when unknown (some V7 DICOM slots), and coordinates on it are then not bounded by it. */
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  width!: number | null;
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  height!: number | null;
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ require_tld: false })
  sourceUrl!: string | null;
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ require_tld: false })
  thumbnailUrl!: string | null;
}

/**
 * An item as registered; its annotations arrive as later events. Schema version 2: `slots`
 * (several, each named, typed and sized) replaced version 1's single image slot
 * (`slotType`, `width`, `height`, `sourceUrl`, `thumbnailUrl`), upcast to a slot named "0".
 */
export class ItemRegisteredData {
  @IsId() itemId!: string;
  @IsId() datasetId!: string;
  @IsId() projectId!: string;
  @IsShortText(500) name!: string;
  @IsShortText(1000) path!: string;
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ITEM_SLOTS)
  @ValidateNested({ each: true })
  @Type(() => ItemSlotData)
  slots!: ItemSlotData[];
  @IsObject() metadata!: Record<string, unknown>;
  @IsISO8601({ strict: true }) registeredAt!: string;
}

/** item.registered version 1 → 2: the one image slot becomes slot "0". */
export function upcastItemRegisteredV1(d: Record<string, unknown>): Record<string, unknown> {
  const { slotType, width, height, sourceUrl, thumbnailUrl, ...rest } = d;
  return { ...rest, slots: [{ name: '0', type: slotType ?? 'image', width, height, sourceUrl: sourceUrl ?? null, thumbnailUrl: thumbnailUrl ?? null }] };
}

/**
 * The item-level part of an imported Darwin JSON 2.0 document, kept as given so the export
 * gives it back: item `properties`, `item.source_info`, and each slot's V7 keys (`fps`,
 * `frame_urls`, `metadata`, `source_files`, …) by slot name. Absent fields were not in the
 * document and leave what an earlier import recorded.
 */
export class ItemDarwinImportedData {
  @IsId() itemId!: string;
  @IsId() datasetId!: string;
  @IsId() projectId!: string;
  @IsOptional() @IsArray() properties?: Record<string, unknown>[];
  @IsOptional() @IsObject() sourceInfo?: Record<string, unknown>;
  @IsOptional() @IsArray() slots?: Record<string, unknown>[];
  /** Keys of `item`, and of the document, that this version of the format does not know. */
  @IsOptional() @IsObject() itemExtra?: Record<string, unknown>;
  @IsOptional() @IsObject() extra?: Record<string, unknown>;
  @IsISO8601({ strict: true }) at!: string;
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

/** Where a write-back came from: the webhook stage visit whose delivery answered with annotations. */
export class WriteBackSourceData {
  @IsId() itemId!: string;
  @IsId() datasetId!: string;
  @IsId() projectId!: string;
  @IsId() deliveryId!: string;
  @IsId() endpointId!: string;
  @IsId() workflowId!: string;
  @IsId() stageId!: string;
  @IsId() visitId!: string;
  /** Who the annotations are attributed to (`endpoint:<id>`). */
  @IsShortText(200) by!: string;
  @IsISO8601({ strict: true }) at!: string;
}

/**
 * A webhook stage's response annotations were added to the item. `itemVersion` is the item's
 * stream version including them: the workflow routes the visit through `succeeded` with it, so
 * the next stage's frozen payload holds them.
 */
export class ItemWriteBackAppliedData extends WriteBackSourceData {
  @IsArray() @ArrayMaxSize(10_000) @IsString({ each: true }) annotationIds!: string[];
  @IsInt() @Min(1) itemVersion!: number;
}

/** The response annotations do not fit the item (e.g. a slot it does not have): the visit routes through `failed`. */
export class ItemWriteBackRejectedData extends WriteBackSourceData {
  @IsShortText(2000) reason!: string;
  @IsInt() @Min(1) itemVersion!: number;
}

/** WIRE NAMES: never rename without a migration. */
export const ItemEvents = {
  'item.registered': { schemaVersion: 2, dataClass: ItemRegisteredData, stream: 'ITEMS', upcasters: { 1: upcastItemRegisteredV1 } },
  'item.status.changed': { schemaVersion: 1, dataClass: ItemStatusChangedData, stream: 'ITEMS' },
  'item.annotation.added': { schemaVersion: 1, dataClass: ItemAnnotationData, stream: 'ITEMS' },
  'item.annotation.updated': { schemaVersion: 1, dataClass: ItemAnnotationData, stream: 'ITEMS' },
  'item.annotation.deleted': { schemaVersion: 1, dataClass: ItemAnnotationDeletedData, stream: 'ITEMS' },
  'item.tag.added': { schemaVersion: 1, dataClass: ItemTagAddedData, stream: 'ITEMS' },
  'item.tag.removed': { schemaVersion: 1, dataClass: ItemTagRemovedData, stream: 'ITEMS' },
  'item.darwin.imported': { schemaVersion: 1, dataClass: ItemDarwinImportedData, stream: 'ITEMS' },
  'item.writeback.applied': { schemaVersion: 1, dataClass: ItemWriteBackAppliedData, stream: 'ITEMS' },
  'item.writeback.rejected': { schemaVersion: 1, dataClass: ItemWriteBackRejectedData, stream: 'ITEMS' },
} as const satisfies Record<string, EventSpec>;
