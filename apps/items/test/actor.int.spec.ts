// Response bodies are untyped JSON (@stagehook/testing Json).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { TokenActor } from '@stagehook/platform';
import { bootService, type BootedService } from '@stagehook/testing';
import * as platform from '@stagehook/platform';
import { itemsService } from './support.js';

const ada: TokenActor = { kind: 'user', id: 'u-ada', name: 'Ada Lovelace', email: 'ada@example.com' };
const bot: TokenActor = { kind: 'service', id: 'prelabeler' };

describe('who did it: the token names the actor', () => {
  let s: BootedService<NestExpressApplication>;
  let datasetId: string;

  beforeAll(async () => {
    s = await bootService(platform, itemsService);
    datasetId = (await s.call('POST', '/datasets', { name: 'Actors', slug: 'actors' })).json.id as string;
  });

  afterAll(async () => {
    await s.close();
  });

  async function register(name: string): Promise<string> {
    const r = await s.call('POST', '/items', { datasetId, items: [{ name, width: 100, height: 100 }] });
    return r.json.items[0].id as string;
  }

  const lastStatusEvent = async (itemId: string) => {
    const h = await s.call('GET', `/items/${itemId}/history?afterVersion=0&limit=100`);
    const events = (h.json.events as { type: string; data: { changedBy: string } }[]).filter((e) => e.type === 'item.status.changed');
    return events[events.length - 1].data;
  };

  it('takes changedBy from the token and refuses a request claiming another actor', async () => {
    const itemId = await register('status.jpg');
    expect((await s.call('POST', `/items/${itemId}/status`, { to: 'in_progress' }, { actor: ada })).status).toBe(200);
    expect((await lastStatusEvent(itemId)).changedBy).toBe('user:u-ada');
    // Naming oneself is fine (by id or by ref); naming someone else is a 403 naming the field.
    expect((await s.call('POST', `/items/${itemId}/status`, { to: 'to_review', changedBy: 'u-ada' }, { actor: ada })).status).toBe(200);
    const claim = await s.call('POST', `/items/${itemId}/status`, { to: 'done', changedBy: 'u-grace' }, { actor: ada });
    expect(claim.status).toBe(403);
    expect(claim.json.message).toContain('changedBy');
    expect((await s.call('POST', `/items/${itemId}/status`, { to: 'done' }, { actor: bot })).status).toBe(200);
    expect((await lastStatusEvent(itemId)).changedBy).toBe('service:prelabeler');
  });

  it('keeps project-only tokens (minted before actors) working: they must name changedBy', async () => {
    const itemId = await register('legacy.jpg');
    const missing = await s.call('POST', `/items/${itemId}/status`, { to: 'in_progress' });
    expect([missing.status, missing.json.fields?.[0]?.path]).toEqual([400, 'changedBy']);
    expect((await s.call('POST', `/items/${itemId}/status`, { to: 'in_progress', changedBy: 'u1' })).status).toBe(200);
    expect((await lastStatusEvent(itemId)).changedBy).toBe('u1');
  });

  it("makes the token's user the annotator of what it draws, and refuses naming another", async () => {
    const itemId = await register('draw.jpg');
    const one = await s.call('POST', `/items/${itemId}/annotations`, { name: 'car', keypoint: { x: 1, y: 1 } }, { actor: ada });
    expect(one.status).toBe(201);
    expect(one.json.annotation.annotators).toEqual([{ full_name: 'Ada Lovelace', email: 'ada@example.com' }]);
    const other = await s.call(
      'POST',
      `/items/${itemId}/annotations/bulk`,
      {
        annotations: [
          { name: 'a', keypoint: { x: 1, y: 1 } },
          { name: 'b', keypoint: { x: 1, y: 1 }, annotators: [{ full_name: 'Grace Hopper', email: 'grace@example.com' }] },
        ],
      },
      { actor: ada },
    );
    expect(other.status).toBe(403);
    expect(other.json.message).toContain('annotations[1].annotators');
    // A service (a pre-labelling integration) names the people it works for.
    const svc = await s.call(
      'POST',
      `/items/${itemId}/annotations`,
      { name: 'c', keypoint: { x: 1, y: 1 }, annotators: [{ full_name: 'Grace Hopper', email: 'grace@example.com' }] },
      { actor: bot },
    );
    expect(svc.status).toBe(201);
  });
});
