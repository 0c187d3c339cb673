import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsId, IsShortText, IsStreamVersion } from './common.js';
import { ITEM_STATUSES, MAX_ITEM_SLOTS, type ItemStatus } from './items.js';
import type { ItemSlotSummary, ItemSummary } from '../rpc/items.js';
import type { EventSpec } from '../spec.js';

export const STAGE_TYPES = ['dataset', 'annotate', 'review', 'webhook', 'complete'] as const;
export type StageType = (typeof STAGE_TYPES)[number];

/**
 * A stage that holds its own url and authorization (V7's stage config): the registry keeps them in
 * an endpoint it manages for the stage; the definition keeps the url and whether an authorization
 * header is set, never the header itself.
 */
export class ManagedStageWebhook {
  @IsString() @MaxLength(2048) url!: string;
  @IsBoolean() authorizationHeaderSet!: boolean;
}

/** What a webhook stage asks of the delivery service; URL, auth and secrets stay in the registry. */
export class WebhookStageConfig {
  @IsId()
  endpointId!: string;

  /** Attempts before the stage routes through `failed` (V7 default 5). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  maxAttempts?: number;

  /** Overrides the endpoint's include-annotations setting for this stage. */
  @IsOptional()
  @IsBoolean()
  includeAnnotations?: boolean;

  /**
   * Write-back (V7's "run inference… like BYOM"): a 2xx response body holding Darwin JSON 2.0
   * annotations (tags as tag annotations) is applied to the item before it leaves through
   * `succeeded`; a malformed one fails the attempt. Off when absent.
   */
  @IsOptional()
  @IsBoolean()
  writeBack?: boolean;

  /** Present when the stage holds its own url: `endpointId` is the endpoint managed for it. */
  @IsOptional()
  @ValidateNested()
  @Type(() => ManagedStageWebhook)
  managed?: ManagedStageWebhook;
}

/** Where the editor draws a stage (V7's `config.x`/`config.y`). */
export class StagePosition {
  @IsNumber({ allowNaN: false, allowInfinity: false }) x!: number;
  @IsNumber({ allowNaN: false, allowInfinity: false }) y!: number;
}

export class StageItemSlot implements ItemSlotSummary {
  @IsString() @MaxLength(200) name!: string;
  @IsString() @MaxLength(100) type!: string;
  @ValidateIf((_o, v) => v !== null) @IsInt() @Min(1) width!: number | null;
  @ValidateIf((_o, v) => v !== null) @IsInt() @Min(1) height!: number | null;
  @ValidateIf((_o, v) => v !== null) @IsString() @MaxLength(4096) sourceUrl!: string | null;
}

/** The items service's summary of an item (ItemSummary, `rpc.items.head`), as a stage entry carries it. */
export class StageItemSummary implements ItemSummary {
  @IsId() id!: string;
  @IsId() projectId!: string;
  @IsId() datasetId!: string;
  @IsString() @MaxLength(1000) datasetName!: string;
  @IsString() @MaxLength(1000) datasetSlug!: string;
  @IsShortText(500) name!: string;
  @IsString() @MaxLength(1000) path!: string;
  @IsIn(ITEM_STATUSES) status!: ItemStatus;
  @IsArray() @IsString({ each: true }) tags!: string[];
  @IsStreamVersion(0) version!: number;
  @IsObject() metadata!: Record<string, unknown>;
  @IsArray()
  @ArrayMaxSize(MAX_ITEM_SLOTS)
  @ValidateNested({ each: true })
  @Type(() => StageItemSlot)
  slots!: StageItemSlot[];
}

/** The largest item summary a stage entry carries (JSON bytes); a larger one stays with items. */
export const STAGE_ITEM_SUMMARY_MAX_BYTES = 16 * 1024;

export class StageEnteredData {
  @IsId() workflowId!: string;
  @IsInt() @Min(1) workflowVersion!: number;
  @IsId() stageId!: string;
  @IsIn(STAGE_TYPES) stageType!: StageType;
  @IsShortText(200) stageName!: string;
  @IsId() itemId!: string;
  /** Unique per entry: a stage entered again after a reject gets a new visit. */
  @IsId() visitId!: string;
  /** The item's stream version the webhook payload is frozen at. */
  @IsStreamVersion(0) itemVersion!: number;
  @IsId() projectId!: string;
  @IsISO8601({ strict: true }) enteredAt!: string;

  /** Present when stageType is `webhook`. */
  @IsOptional()
  @ValidateNested()
  @Type(() => WebhookStageConfig)
  webhook?: WebhookStageConfig;

  /**
   * The item at `itemVersion`, as the workflow service had it from items when it froze that
   * version (webhook stages, up to STAGE_ITEM_SUMMARY_MAX_BYTES): delivery builds a metadata-only
   * payload from it without asking items again. Absent: ask items (`rpc.items.head`).
   */
  @IsOptional()
  @ValidateNested()
  @Type(() => StageItemSummary)
  item?: StageItemSummary;
}

export class StageLeftData {
  @IsId() workflowId!: string;
  @IsId() stageId!: string;
  @IsIn(STAGE_TYPES) stageType!: StageType;
  @IsId() itemId!: string;
  @IsId() visitId!: string;
  @IsId() projectId!: string;
  /** The named edge taken (`default`, `approve`, `reject`, `succeeded`, `failed`, or `admin`). */
  @IsShortText(100) edge!: string;
  @IsOptional() @IsId() toStageId?: string;
  @IsISO8601({ strict: true }) leftAt!: string;
  /** Who moved the item (a user id; absent when an outcome or a rule moved it). */
  @IsOptional() @IsShortText(200) by?: string;
  /** Why: the admin's note on a set-stage, or why a webhook stage failed fast. */
  @IsOptional() @IsShortText(1000) reason?: string;
  /** The delivery whose outcome routed a webhook stage. */
  @IsOptional() @IsId() deliveryId?: string;
}

export class ItemCompletedData {
  @IsId() workflowId!: string;
  @IsId() itemId!: string;
  @IsId() projectId!: string;
  @IsId() visitId!: string;
  @IsISO8601({ strict: true }) completedAt!: string;
}

/**
 * The item waits in a webhook stage that cannot deliver: its endpoint is disabled or deleted and
 * the stage's `failed` edges lead back to webhook stages that cannot deliver either. It stays
 * until an admin moves it or the endpoint is enabled again (then the stage is entered afresh).
 */
export class ItemParkedData {
  @IsId() workflowId!: string;
  @IsId() itemId!: string;
  @IsId() projectId!: string;
  @IsId() stageId!: string;
  @IsId() visitId!: string;
  @IsId() endpointId!: string;
  @IsShortText(1000) reason!: string;
  @IsISO8601({ strict: true }) parkedAt!: string;
}

/** A named output of a stage and the stage it leads to. */
export class StageEdge {
  @IsShortText(100) name!: string;
  @IsId() to!: string;
}

/** One stage of a workflow definition, V7-style: a type, typed config and named edges. */
export class StageDefinition {
  @IsId() id!: string;
  @IsShortText(200) name!: string;
  @IsIn(STAGE_TYPES) type!: StageType;
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => StageEdge)
  edges!: StageEdge[];
  /** Required when type is `webhook`. */
  @IsOptional()
  @ValidateNested()
  @Type(() => WebhookStageConfig)
  webhook?: WebhookStageConfig;
  /**
   * Dataset stages only: items registered in this dataset after the workflow was saved with it
   * enter the workflow by themselves (V7's dataset stage).
   */
  @IsOptional() @IsId() datasetId?: string;
  @IsOptional()
  @ValidateNested()
  @Type(() => StagePosition)
  position?: StagePosition;
}

/** A whole version of a definition: every version carries its full graph. */
export class WorkflowDefinitionData {
  @IsId() workflowId!: string;
  @IsId() projectId!: string;
  @IsInt() @Min(1) version!: number;
  @IsShortText(200) name!: string;
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => StageDefinition)
  stages!: StageDefinition[];
  @IsISO8601({ strict: true }) at!: string;
  @IsOptional() @IsShortText(200) by?: string;
}

/** A workflow definition's stream (`workflow-<id>`). WIRE NAMES: never rename without a migration. */
export const WorkflowDefinitionEvents = {
  'workflow.definition.created': { schemaVersion: 1, dataClass: WorkflowDefinitionData, stream: 'WORKFLOW' },
  'workflow.definition.updated': { schemaVersion: 1, dataClass: WorkflowDefinitionData, stream: 'WORKFLOW' },
} as const satisfies Record<string, EventSpec>;

/** An item's position in a workflow (its own stream). WIRE NAMES: never rename without a migration. */
export const WorkflowItemEvents = {
  'workflow.stage.entered': { schemaVersion: 1, dataClass: StageEnteredData, stream: 'WORKFLOW' },
  'workflow.stage.left': { schemaVersion: 1, dataClass: StageLeftData, stream: 'WORKFLOW' },
  'workflow.item.completed': { schemaVersion: 1, dataClass: ItemCompletedData, stream: 'WORKFLOW' },
  'workflow.item.parked': { schemaVersion: 1, dataClass: ItemParkedData, stream: 'WORKFLOW' },
} as const satisfies Record<string, EventSpec>;

export const WorkflowEvents = { ...WorkflowDefinitionEvents, ...WorkflowItemEvents } as const satisfies Record<string, EventSpec>;
