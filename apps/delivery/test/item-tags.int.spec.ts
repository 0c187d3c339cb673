import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ItemStatus } from '@stagehook/contracts';
import { TestReceiver, until } from '@stagehook/testing';
import { ItemTagRepository } from '../src/persistence/item-tag.repository.js';
import { Harness } from './support/harness.js';

const P = 'proj-tags';

describe('tags filter', () => {
  const h = new Harness('tags');
  let app: NestExpressApplication;
  let rx: TestReceiver;

  beforeAll(async () => {
    await h.setUp();
    rx = await TestReceiver.start();
    app = await h.boot();
  });

  afterAll(async () => {
    await h.tearDown();
    await rx.close();
  });

  const newItem = () => `it_${randomUUID().slice(0, 8)}`;
  const ids = (itemId: string) => ({ itemId, datasetId: 'ds_1', projectId: P });
  const at = () => new Date().toISOString();

  let version = 1;
  function changeStatus(itemId: string, from: ItemStatus, to: ItemStatus): Promise<string> {
    return h.publish('item.status.changed', { ...ids(itemId), from, to, changedBy: 'u_1', reason: null, itemVersion: ++version, changedAt: at() }, P, `item-${itemId}`);
  }

  function addTag(itemId: string, name: string): Promise<string> {
    return h.publish('item.tag.added', { ...ids(itemId), annotation: { id: randomUUID(), name, slot_names: ['0'], tag: {} }, at: at() }, P, `item-${itemId}`);
  }

  function removeTag(itemId: string, name: string): Promise<string> {
    return h.publish('item.tag.removed', { ...ids(itemId), annotationId: randomUUID(), name, at: at() }, P, `item-${itemId}`);
  }

  /** The endpoints an event fanned out to, once its message is committed (its deliveries are final then). */
  async function fannedOutTo(eventId: string): Promise<string[]> {
    await h.waitForRow(`SELECT 1 FROM dl_messages WHERE trigger_event_id = $1`, [eventId]);
    const rows = await h.query<{ endpoint_id: string }>(
      `SELECT d.endpoint_id FROM dl_deliveries d JOIN dl_messages m ON m.id = d.message_id WHERE m.trigger_event_id = $1 ORDER BY d.endpoint_id`,
      [eventId],
    );
    return rows.map((r) => r.endpoint_id);
  }

  function itemIdsReceived(path: string): string[] {
    return rx.received(path).map((r) => (JSON.parse(r.body) as { data: { itemId: string } }).data.itemId);
  }

  it('delivers status changes of an item to a tag-filtered endpoint only while the item carries the tag; unfiltered endpoints get all', async () => {
    const urgent = await h.registerEndpoint(P, `${rx.url}/urgent-status`, { endpointId: 'ep_urgent', eventTypes: ['item.status.changed'], filters: { tags: ['urgent'] } });
    const all = await h.registerEndpoint(P, `${rx.url}/all-status`, { endpointId: 'ep_all', eventTypes: ['item.status.changed'] });
    const tagged = newItem();
    const untagged = newItem();

    await addTag(tagged, 'urgent');
    const taggedChange = await changeStatus(tagged, 'new', 'in_progress');
    const untaggedChange = await changeStatus(untagged, 'new', 'in_progress');
    expect(await fannedOutTo(taggedChange)).toEqual([all.endpointId, urgent.endpointId]);
    expect(await fannedOutTo(untaggedChange)).toEqual([all.endpointId]);
    await rx.waitFor(1, '/urgent-status');
    await rx.waitFor(2, '/all-status');
    expect(itemIdsReceived('/urgent-status')).toEqual([tagged]);

    await removeTag(tagged, 'urgent');
    const afterRemoval = await changeStatus(tagged, 'in_progress', 'to_review');
    expect(await fannedOutTo(afterRemoval)).toEqual([all.endpointId]);
    await rx.waitFor(3, '/all-status');
    expect(itemIdsReceived('/all-status').sort()).toEqual([tagged, tagged, untagged].sort());
    expect(itemIdsReceived('/urgent-status')).toEqual([tagged]);
  });

  it('matches a tag event against the tags after it: "added urgent" reaches an urgent-filtered endpoint, "removed urgent" does not', async () => {
    const ep = await h.registerEndpoint(P, `${rx.url}/urgent-tags`, { eventTypes: ['item.tag.*'], filters: { tags: ['urgent'] } });
    const item = newItem();
    const added = await addTag(item, 'urgent');
    const other = await addTag(item, 'blurry');
    const removed = await removeTag(item, 'urgent');
    expect(await fannedOutTo(added)).toEqual([ep.endpointId]);
    expect(await fannedOutTo(other)).toEqual([ep.endpointId]);
    // No endpoint matched the removal, so it has no message: wait for the view instead.
    await until(async () => (await app.get(ItemTagRepository).tagsOf(P, item)).join() === 'blurry', { message: 'urgent removed from the view' });
    expect(await h.query(`SELECT 1 FROM dl_messages WHERE trigger_event_id = $1`, [removed])).toEqual([]);
    const bodies = (await rx.waitFor(2, '/urgent-tags')).map((r) => JSON.parse(r.body) as { type: string; data: { annotation: { name: string } } });
    expect(bodies.map((b) => `${b.type} ${b.data.annotation.name}`).sort()).toEqual(['item.tag.added blurry', 'item.tag.added urgent']);
    expect(rx.received('/urgent-tags')).toHaveLength(2);
  });

  it('filters workflow stage entries of an item by the tags it has', async () => {
    await h.registerEndpoint(P, `${rx.url}/urgent-stage`, { eventTypes: ['workflow.stage.entered'], filters: { tags: ['urgent'] } });
    const stageEndpoint = await h.registerEndpoint(P, `${rx.url}/stage-own`);
    const tagged = newItem();
    await addTag(tagged, 'urgent');
    // Stage entries come through another stream: wait until the tag is in the view.
    await until(async () => (await app.get(ItemTagRepository).tagsOf(P, tagged)).includes('urgent'), { message: 'tag in the view' });
    const entry = await h.enterWebhookStage(P, stageEndpoint.endpointId, { itemId: tagged });
    const plain = await h.enterWebhookStage(P, stageEndpoint.endpointId);
    await rx.waitFor(2, '/stage-own');
    const [req] = await rx.waitFor(1, '/urgent-stage');
    expect((JSON.parse(req.body) as { data: { visitId: string } }).data.visitId).toBe(entry.visitId);
    expect(await h.query(`SELECT 1 FROM dl_messages WHERE trigger_event_id = $1 AND variant = 'event'`, [plain.eventId])).toEqual([]);
    expect(rx.received('/urgent-stage')).toHaveLength(1);
  });

  it('keeps the newest state of a tag when an older event about it arrives late', async () => {
    const repo = app.get(ItemTagRepository);
    const item = newItem();
    await repo.setTag({ projectId: P, itemId: item, name: 'urgent', present: false }, { version: 20 });
    await repo.setTag({ projectId: P, itemId: item, name: 'urgent', present: true }, { version: 10 });
    await repo.setTag({ projectId: P, itemId: item, name: 'vip', present: true }, { version: 11 });
    expect(await repo.tagsOf(P, item)).toEqual(['vip']);
    await repo.setTag({ projectId: P, itemId: item, name: 'urgent', present: true }, { version: 21 });
    expect(await repo.tagsOf(P, item)).toEqual(['urgent', 'vip']);
    // Another project's item of the same id has its own tags.
    expect(await repo.tagsOf('proj-other', item)).toEqual([]);
  });
});
