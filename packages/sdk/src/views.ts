import type { DarwinAnnotation, DarwinDocument, ItemStatus, StageType } from '@stagehook/contracts';

/*
 * Response bodies of the operations whose OpenAPI document declares no response schema (the
 * services return TypeScript interfaces there, which Swagger cannot see). Each type mirrors the
 * service's own view type named beside it; request shapes and the rest come generated.
 */

export type { DarwinAnnotation, DarwinDocument, ItemStatus, StageType };

/** apps/workflow/src/domain/graph.ts `Stage`. */
export interface StageView {
  id: string;
  name: string;
  type: StageType;
  edges: Array<{ name: string; to: string }>;
  webhook?: { endpointId: string; maxAttempts?: number; includeAnnotations?: boolean };
}

/** apps/workflow/src/persistence/views.ts `DefinitionView`. */
export interface WorkflowView {
  workflowId: string;
  projectId: string;
  version: number;
  name: string;
  stages: StageView[];
  createdAt: string;
}

/** `GET /workflows/:id/stages`. */
export interface StageCountsView {
  workflowId: string;
  version: number;
  stages: Array<{ stageId: string; stageName: string; stageType: StageType; count: number }>;
  total: number;
}

/** apps/workflow/src/persistence/views.ts `PositionView`. */
export interface PositionView {
  workflowId: string;
  itemId: string;
  projectId: string;
  workflowVersion: number;
  stageId: string;
  stageType: StageType;
  stageName: string;
  visitId: string;
  itemVersion: number;
  enteredAt: string;
  completed: boolean;
}

/** apps/workflow/src/persistence/views.ts `VisitView`. */
export interface VisitView {
  visitId: string;
  stageId: string;
  stageType: StageType;
  stageName: string;
  itemVersion: number;
  enteredAt: string;
  leftAt: string | null;
  edge: string | null;
  toStageId: string | null;
  by: string | null;
  reason: string | null;
  deliveryId: string | null;
  outcome: string | null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** apps/delivery/src/persistence/delivery-read.repository.ts `DeliverySummary` (without its cursor). */
export interface DeliveryView {
  id: string;
  messageId: string;
  endpointId: string;
  projectId: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  eventType: string;
  triggerEventId: string;
  itemId: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface DeliveryPage {
  data: DeliveryView[];
  nextCursor: string | null;
}

/** apps/delivery/src/persistence/delivery-read.repository.ts `AttemptRecord`. */
export interface AttemptView {
  deliveryId: string;
  n: number;
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  sentBy: string;
}

/** `GET /endpoints/:id/circuit` on delivery. */
export interface CircuitView {
  endpointId: string;
  state: string;
  disabled: boolean;
  disabledAt: string | null;
  disabledReason: string | null;
  failingSince: string | null;
  lastSuccessAt: string | null;
}

/** apps/items/src/persistence/items.query-repository.ts `Dataset`. */
export interface DatasetView {
  id: string;
  projectId: string;
  name: string;
  slug: string;
  createdAt: string;
}

/** apps/items/src/persistence/items.query-repository.ts `ItemView`. */
export interface ItemView {
  id: string;
  projectId: string;
  datasetId: string;
  name: string;
  path: string;
  status: ItemStatus;
  tags: string[];
  annotationCount: number;
  metadata: Record<string, unknown>;
  slot: { type: 'image'; width: number; height: number; sourceUrl: string | null; thumbnailUrl: string | null };
  version: number;
  registeredAt: string;
  updatedAt: string;
}

export interface ItemPage {
  items: ItemView[];
  nextCursor: string | null;
}

/** `GET /items/:id/history`. */
export interface ItemHistoryView {
  events: Array<{ version: number; id: string; type: string; data: unknown; createdAt: string }>;
  nextAfterVersion: number | null;
}

/**
 * packages/platform/src/dead-letters/dead-letters.controller.ts `summary()`: a dead letter as
 * `GET /dead-letters` lists it (delivery, items and workflow each serve their own).
 */
export interface DeadLetterSummaryView {
  id: string;
  consumer: string;
  reason: string;
  eventId: string | null;
  eventType: string | null;
  stream: string;
  subject: string;
  streamSeq: number;
  deliveryCount: number;
  payloadBytes: number;
  createdAt: string;
  replayedAt: string | null;
  replayCount: number;
  replayOutcome: string | null;
}

export interface DeadLetterPage {
  /** The consumers this service runs, which are the ones it can replay for. */
  consumers: string[];
  items: DeadLetterSummaryView[];
  nextBeforeId: string | null;
}

/** `GET /dead-letters/:id`. */
export interface DeadLetterView extends DeadLetterSummaryView {
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  payloadTruncated: boolean;
  headers: Record<string, string[]>;
  storedAt: string;
}

/** packages/messaging/src/redrive.ts `RedriveOutcome`. */
export type RedriveOutcome = 'handled' | 'already-handled' | 'dead-lettered-again' | 'skipped' | 'not-settled' | 'failed';

/** `POST /dead-letters/:id/replay` (packages/messaging/src/redrive.ts `RedriveResult`). */
export interface RedriveResultView {
  id: string;
  consumer: string;
  eventId: string | null;
  outcome: RedriveOutcome;
  /** The dead letter's reason after the replay (the new one when it failed again). */
  reason: string;
}

/** `POST /dead-letters/replay`. */
export interface ReplayAllView {
  replayed: number;
  counts: Partial<Record<RedriveOutcome, number>>;
  results: RedriveResultView[];
}
