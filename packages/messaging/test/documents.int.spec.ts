import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { Objm } from '@nats-io/obj';
import { BusNamespace } from '@stagehook/contracts';
import { connectTestNats, uniqueName } from '@stagehook/testing';
import { DocumentMissingError, DocumentStore, DocumentTooLargeError } from '../src/index.js';

describe('DocumentStore', () => {
  let nc: NatsConnection;
  const ns = new BusNamespace(uniqueName('docs'));

  beforeAll(async () => {
    ({ nc } = await connectTestNats());
  });
  afterAll(async () => {
    await new Objm(nc).open(new DocumentStore(nc, ns).bucket).then((s) => s.destroy()).catch(() => undefined);
    await nc.drain();
  });

  it('hands a document many times max_payload from one connection to another, intact', async () => {
    const writer = new DocumentStore(nc, ns);
    const doc = randomBytes(6 * nc.info!.max_payload);
    const ref = await writer.put('darwin/p/item/7', doc);
    expect(ref).toEqual({ name: 'darwin/p/item/7', bytes: doc.byteLength });
    const { nc: other } = await connectTestNats();
    try {
      const read = await new DocumentStore(other, ns).get(ref, { maxBytes: 64 * 1024 * 1024 });
      expect(Buffer.from(read).equals(doc)).toBe(true);
    } finally {
      await other.drain();
    }
    // Names are immutable: a second put of the same name keeps the first document.
    await expect(writer.put('darwin/p/item/7', doc)).resolves.toEqual(ref);
  });

  it('refuses a document above the reader bound and names a missing one', async () => {
    const store = new DocumentStore(nc, ns);
    const ref = await store.put('big', randomBytes(300_000));
    await expect(store.get(ref, { maxBytes: 100_000 })).rejects.toBeInstanceOf(DocumentTooLargeError);
    // A reference that understates the size is checked against what is stored.
    await expect(store.get({ ...ref, bytes: 10 }, { maxBytes: 100_000 })).rejects.toBeInstanceOf(DocumentTooLargeError);
    await expect(store.get({ name: 'nope', bytes: 10 }, { maxBytes: 100_000 })).rejects.toBeInstanceOf(DocumentMissingError);
  });
});
