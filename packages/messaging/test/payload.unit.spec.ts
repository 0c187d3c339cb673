import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { encodePayload } from '../src/payload.js';
import { parseEnvelope } from '../src/envelope.js';
import { isTransientInfraError } from '../src/errors.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('encodePayload', () => {
  it('keeps a UTF-8 body as text', () => {
    expect(encodePayload(utf8('{"a":"é"}'))).toEqual({ payload: '{"a":"é"}', encoding: 'utf8', bytes: 10, truncated: false });
  });

  it('stores bytes that are not UTF-8 as base64', () => {
    const body = Uint8Array.from([0xff, 0xfe, 0x00, 0x41]);
    expect(encodePayload(body)).toEqual({ payload: Buffer.from(body).toString('base64'), encoding: 'base64', bytes: 4, truncated: false });
  });

  it('stores UTF-8 holding a NUL as base64 (PostgreSQL text refuses NUL)', () => {
    expect(encodePayload(utf8('a\u0000b')).encoding).toBe('base64');
  });

  it('caps the body and never cuts a character in half', () => {
    // 'é' is two bytes: a cap of 4 falls inside the third character
    const r = encodePayload(utf8('ééé'), 5);
    expect(r).toEqual({ payload: 'éé', encoding: 'utf8', bytes: 6, truncated: true });
    const emoji = encodePayload(utf8('a😀b'), 3);
    expect(emoji).toEqual({ payload: 'a', encoding: 'utf8', bytes: 6, truncated: true });
    expect(encodePayload(utf8('a😀b'), 5).payload).toBe('a😀');
  });

  it('caps a binary body before encoding it', () => {
    const r = encodePayload(new Uint8Array(100).fill(0xff), 10);
    expect(r.encoding).toBe('base64');
    expect(Buffer.from(r.payload, 'base64')).toHaveLength(10);
    expect(r.truncated).toBe(true);
  });
});

describe('parseEnvelope', () => {
  const envelope = () => ({
    specversion: '1.0',
    id: randomUUID(),
    source: 'items',
    type: 'item.future.thing',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    dataschemaversion: 7,
    projectid: 'p1',
    data: { anything: true },
  });

  it('accepts a valid envelope of a type the catalog does not know, without looking at its data', () => {
    const r = parseEnvelope(utf8(JSON.stringify(envelope())));
    expect(r.ok).toBe(true);
  });

  it('names the missing id and keeps the type for the dead letter', () => {
    const { id: _id, ...rest } = envelope();
    const r = parseEnvelope(utf8(JSON.stringify(rest)));
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^id: /), id: undefined, type: 'item.future.thing' });
  });

  it('rejects a body that is not JSON, or not an object', () => {
    expect(parseEnvelope(utf8('{nope'))).toEqual({ ok: false, reason: expect.stringMatching(/^body: not valid JSON/) });
    expect(parseEnvelope(utf8('[1]'))).toEqual({ ok: false, reason: 'body: must be a JSON object' });
  });
});

describe('isTransientInfraError', () => {
  it('recognises connection failures, also wrapped by TypeORM', () => {
    expect(isTransientInfraError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientInfraError({ message: 'query failed', driverError: { code: '57P01', message: 'terminating connection' } })).toBe(true);
    expect(isTransientInfraError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('does not treat a failing statement or a handler error as transient', () => {
    expect(isTransientInfraError({ message: 'duplicate key', code: '23505' })).toBe(false);
    expect(isTransientInfraError(new Error('endpoint unreachable: boom'))).toBe(false);
    expect(isTransientInfraError(undefined)).toBe(false);
  });
});
