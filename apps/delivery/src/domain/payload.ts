import type { ItemStatusChangedData, ItemSummary, StageEnteredData } from '@stagehook/contracts';

/**
 * Frozen payloads: built once when the message is created and stored as the exact bytes sent,
 * so every retry signs and sends the same body (Standard Webhooks `{type, timestamp, data}`).
 */
export interface WebhookBody {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export function stageEnteredBody(d: StageEnteredData, item: ItemSummary | null, darwin: Record<string, unknown> | null): WebhookBody {
  return {
    type: 'workflow.stage.entered',
    timestamp: d.enteredAt,
    data: {
      projectId: d.projectId,
      workflowId: d.workflowId,
      workflowVersion: d.workflowVersion,
      stageId: d.stageId,
      stageName: d.stageName,
      visitId: d.visitId,
      itemId: d.itemId,
      itemVersion: d.itemVersion,
      enteredAt: d.enteredAt,
      ...(item
        ? {
            // V7: without annotations "the payload will simply include the metadata of the image".
            item: {
              id: item.id,
              name: item.name,
              path: item.path,
              dataset: { id: item.datasetId, name: item.datasetName, slug: item.datasetSlug },
              // Flat forms kept for receivers written before `dataset`.
              datasetId: item.datasetId,
              datasetName: item.datasetName,
              slots: item.slots ?? [],
              status: item.status,
              tags: item.tags,
              metadata: item.metadata,
            },
          }
        : {}),
      ...(darwin ? { annotations: darwin } : {}),
    },
  };
}

/**
 * Hasty's status-change webhook: item, dataset, project, old and new status, who, when.
 * `dataset.name`/`slug` are there when the event carries them (events written before items added
 * them do not); the flat `datasetId` stays for receivers written before `dataset`.
 */
export function statusChangedBody(d: ItemStatusChangedData): WebhookBody {
  return {
    type: 'item.status.changed',
    timestamp: d.changedAt,
    data: {
      projectId: d.projectId,
      itemId: d.itemId,
      ...(d.itemName !== undefined ? { itemName: d.itemName } : {}),
      datasetId: d.datasetId,
      dataset: {
        id: d.datasetId,
        ...(d.datasetName !== undefined ? { name: d.datasetName } : {}),
        ...(d.datasetSlug !== undefined ? { slug: d.datasetSlug } : {}),
      },
      oldStatus: d.from,
      newStatus: d.to,
      changedBy: d.changedBy,
      reason: d.reason,
      itemVersion: d.itemVersion,
      changedAt: d.changedAt,
    },
  };
}

/** Any other subscribable event: its data as published. */
export function genericBody(type: string, time: string, data: Record<string, unknown>): WebhookBody {
  return { type, timestamp: time, data };
}
