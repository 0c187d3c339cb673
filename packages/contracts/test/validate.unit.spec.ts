import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { newEvent, parseEvent, toCloudEvent, upcastEventData } from '../src/index.js';

const stageEntered = () =>
  newEvent(
    'workflow.stage.entered',
    {
      workflowId: 'wf-1',
      workflowVersion: 1,
      stageId: 'st-webhook',
      stageType: 'webhook',
      stageName: 'Send to receiver',
      itemId: 'item-1',
      visitId: 'visit-1',
      itemVersion: 3,
      projectId: 'proj-1',
      enteredAt: new Date().toISOString(),
      webhook: { endpointId: 'ep-1', maxAttempts: 5 },
    },
    { source: 'workflow', projectId: 'proj-1' },
  );

const envelope = () => toCloudEvent({ ...stageEntered(), streamId: 'item-1', createdAt: new Date() }) as unknown as Record<string, unknown>;

describe('parseEvent', () => {
  it('accepts a catalog event in its CloudEvents envelope', () => {
    const r = parseEvent(JSON.stringify(envelope()));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.type).toBe('workflow.stage.entered');
  });

  it('names the nested field that is wrong', () => {
    const e = envelope();
    (e.data as { webhook: { endpointId: string } }).webhook.endpointId = '';
    const r = parseEvent(JSON.stringify(e));
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('data.webhook.endpointId') });
  });

  it('rejects a body that is not JSON, naming the body', () => {
    expect(parseEvent('{nope')).toEqual({ ok: false, reason: expect.stringMatching(/^body: not valid JSON/) });
  });

  it('rejects an unknown type', () => {
    const e = { ...envelope(), type: 'item.exploded' };
    expect(parseEvent(JSON.stringify(e))).toEqual({ ok: false, reason: expect.stringContaining("unknown event type 'item.exploded'") });
  });

  it('rejects an envelope without an id', () => {
    const e = envelope();
    delete e.id;
    expect(parseEvent(JSON.stringify(e))).toEqual({ ok: false, reason: expect.stringMatching(/^id: /) });
  });

  const statusChanged = (data: Record<string, unknown>) => ({
    ...envelope(),
    id: randomUUID(),
    type: 'item.status.changed',
    data: {
      itemId: 'i',
      datasetId: 'd',
      projectId: 'p',
      from: 'new',
      to: 'in_progress',
      changedBy: 'u',
      reason: null,
      itemVersion: 2,
      changedAt: new Date().toISOString(),
      ...data,
    },
  });

  it('rejects a wrong status value', () => {
    expect(parseEvent(JSON.stringify(statusChanged({ to: 'exploded' })))).toEqual({ ok: false, reason: expect.stringContaining('data.to') });
  });

  it('accepts a status change with the dataset name and slug, and one written before they existed', () => {
    const withNames = parseEvent(JSON.stringify(statusChanged({ datasetName: 'Cars 2026', datasetSlug: 'cars-2026' })));
    expect(withNames).toMatchObject({ ok: true, value: { dataschemaversion: 1, data: { datasetName: 'Cars 2026', datasetSlug: 'cars-2026' } } });
    const older = parseEvent(JSON.stringify(statusChanged({})));
    expect(older.ok).toBe(true);
    expect(older.ok && older.value.data).not.toHaveProperty('datasetName');
  });

  it('rejects a dataset name that is not a string', () => {
    expect(parseEvent(JSON.stringify(statusChanged({ datasetName: 7 })))).toEqual({ ok: false, reason: expect.stringContaining('data.datasetName') });
  });

  it('rejects an item version no stream can reach', () => {
    expect(parseEvent(JSON.stringify(statusChanged({ itemVersion: 2_147_483_648 })))).toEqual({ ok: false, reason: expect.stringContaining('data.itemVersion') });
    expect(parseEvent(JSON.stringify(statusChanged({ itemVersion: 2_147_483_647 }))).ok).toBe(true);
  });

  it('refuses a schema version newer than the catalog', () => {
    expect(upcastEventData('workflow.stage.entered', 2, {})).toEqual({ ok: false, reason: expect.stringContaining('newer') });
  });
});
