import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { IsId, IsShortText } from './common.js';
import type { EventSpec } from '../spec.js';

export const STAGE_TYPES = ['dataset', 'annotate', 'review', 'webhook', 'complete'] as const;
export type StageType = (typeof STAGE_TYPES)[number];

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
}

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
  @IsInt() @Min(0) itemVersion!: number;
  @IsId() projectId!: string;
  @IsISO8601({ strict: true }) enteredAt!: string;

  /** Present when stageType is `webhook`. */
  @IsOptional()
  @ValidateNested()
  @Type(() => WebhookStageConfig)
  webhook?: WebhookStageConfig;
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
}

export class ItemCompletedData {
  @IsId() workflowId!: string;
  @IsId() itemId!: string;
  @IsId() projectId!: string;
  @IsId() visitId!: string;
  @IsISO8601({ strict: true }) completedAt!: string;
}

/** WIRE NAMES: never rename without a migration. */
export const WorkflowEvents = {
  'workflow.stage.entered': { schemaVersion: 1, dataClass: StageEnteredData, stream: 'WORKFLOW' },
  'workflow.stage.left': { schemaVersion: 1, dataClass: StageLeftData, stream: 'WORKFLOW' },
  'workflow.item.completed': { schemaVersion: 1, dataClass: ItemCompletedData, stream: 'WORKFLOW' },
} as const satisfies Record<string, EventSpec>;
