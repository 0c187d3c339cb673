import { describe, expect, it } from '@jest/globals';
import type { ItemStatusChangedData } from '@stagehook/contracts';
import { statusChangedBody } from '../src/domain/payload.js';

const AT = '2026-03-01T12:00:00.000Z';
const changed = (extra: Partial<ItemStatusChangedData> = {}): ItemStatusChangedData => ({
  itemId: 'it-1',
  datasetId: 'ds-1',
  projectId: 'p-1',
  from: 'to_review',
  to: 'done',
  changedBy: 'alice@example.com',
  reason: 'looks right',
  itemVersion: 7,
  changedAt: AT,
  ...extra,
});

describe('statusChangedBody (Hasty status-change webhook)', () => {
  it('carries item, dataset with its name and slug, project, old and new status, who and when', () => {
    const body = statusChangedBody(changed({ itemName: 'car-17.jpg', datasetName: 'Cars 2026', datasetSlug: 'cars-2026' }));
    expect(body).toEqual({
      type: 'item.status.changed',
      timestamp: AT,
      data: {
        projectId: 'p-1',
        itemId: 'it-1',
        itemName: 'car-17.jpg',
        datasetId: 'ds-1',
        dataset: { id: 'ds-1', name: 'Cars 2026', slug: 'cars-2026' },
        oldStatus: 'to_review',
        newStatus: 'done',
        changedBy: 'alice@example.com',
        reason: 'looks right',
        itemVersion: 7,
        changedAt: AT,
      },
    });
  });

  it('keeps the flat datasetId for receivers written before dataset existed', () => {
    const { data } = statusChangedBody(changed({ datasetName: 'Cars 2026', datasetSlug: 'cars-2026' }));
    expect(data.datasetId).toBe('ds-1');
  });

  it('sends only the dataset id for an event written before items added the names', () => {
    const body = statusChangedBody(changed());
    expect(body.data.dataset).toEqual({ id: 'ds-1' });
    expect(body.data).not.toHaveProperty('itemName');
    // The frozen bytes hold no null or undefined placeholders for the missing names.
    expect(JSON.parse(JSON.stringify(body)).data.dataset).toEqual({ id: 'ds-1' });
  });
});
