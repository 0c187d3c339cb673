import { describe, expect, it } from '@jest/globals';
import type { StructuredLogger } from '@stagehook/contracts';
import { LogCapture } from '@stagehook/testing';
import { createLogger } from '../src/logging/logger.js';
import { PinoNestLogger } from '../src/logging/nest-logger.js';

function capture() {
  const out = new LogCapture();
  return { out, logger: createLogger({ service: 'svc', level: 'trace', destination: out }) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with service, level name, time and message', () => {
    const { out, logger } = capture();
    logger.info({ deliveryId: 'd1' }, 'delivered');
    expect(out.lines[0]).toMatchObject({ level: 'info', service: 'svc', deliveryId: 'd1', msg: 'delivered' });
    expect(new Date(out.lines[0].time as string).toISOString()).toBe(out.lines[0].time);
  });

  it('satisfies the StructuredLogger that other packages take', () => {
    const { out, logger } = capture();
    const structured: StructuredLogger = logger;
    structured.warn({ a: 1 }, 'w');
    expect(out.lines[0]).toMatchObject({ level: 'warn', a: 1 });
  });

  it('redacts secrets at the top level and nested, in headers and in arrays of objects', () => {
    const { out, logger } = capture();
    logger.info(
      {
        authorization: 'Bearer top-level-token',
        token: 'tok-1',
        request: { headers: { Authorization: 'Bearer nested', cookie: 'sid=1', 'set-cookie': 'sid=2', 'x-api-key': 'key-1' } },
        endpoint: { signingSecret: 'whsec_abc', authHeader: 'Basic abc', secrets: ['whsec_1', 'whsec_2'] },
        attempts: [{ response: { headers: { 'set-cookie': 'tracking=1' } } }],
        deep: { a: { b: { c: { d: { password: 'pw-deep' } } } } },
      },
      'attempt',
    );
    const text = out.text();
    for (const secret of ['top-level-token', 'tok-1', 'Bearer nested', 'sid=1', 'sid=2', 'key-1', 'whsec_abc', 'Basic abc', 'whsec_1', 'tracking=1', 'pw-deep']) {
      expect(text).not.toContain(secret);
    }
    expect(out.lines[0]).toMatchObject({ endpoint: { signingSecret: '[redacted]' }, request: { headers: { cookie: '[redacted]' } } });
  });

  it('redacts whatever the key case and however deep, without touching the caller’s object', () => {
    const { out, logger } = capture();
    const payload = { a: { b: { c: { d: { e: { f: { g: { h: { AUTHORIZATION: 'very-deep', Token: 'tok-case' } } } } } } } } };
    logger.info(payload, 'deep');
    expect(out.text()).not.toContain('very-deep');
    expect(out.text()).not.toContain('tok-case');
    expect(payload.a.b.c.d.e.f.g.h.AUTHORIZATION).toBe('very-deep');
  });

  it('redacts inside errors and keeps them errors (type, message, stack)', () => {
    const { out, logger } = capture();
    const err = Object.assign(new Error('request failed'), { config: { headers: { Authorization: 'Bearer in-error' } } });
    logger.error({ err }, 'delivery failed');
    expect(out.text()).not.toContain('in-error');
    expect(out.lines[0]).toMatchObject({
      err: { type: 'Error', message: 'request failed', stack: expect.stringContaining('Error: request failed'), config: { headers: { Authorization: '[redacted]' } } },
    });
    expect(err.config.headers.Authorization).toBe('Bearer in-error');
  });

  it('redacts child bindings and survives cyclic objects', () => {
    const { out, logger } = capture();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    logger.child({ endpoint: { signingSecret: 'whsec_child' } }).info({ cyclic }, 'x');
    expect(out.text()).not.toContain('whsec_child');
    expect(out.lines[0]).toMatchObject({ msg: 'x', cyclic: { name: 'loop' } });
  });

  it('keeps ordinary fields', () => {
    const { out, logger } = capture();
    logger.info({ tokenCount: 3, secretName: 'visible', headers: { 'content-type': 'application/json' } }, 'ok');
    expect(out.lines[0]).toMatchObject({ tokenCount: 3, secretName: 'visible', headers: { 'content-type': 'application/json' } });
  });

  it('serialises errors with their stack', () => {
    const { out, logger } = capture();
    logger.error({ err: new Error('boom') }, 'failed');
    expect(out.lines[0]).toMatchObject({ err: { type: 'Error', message: 'boom', stack: expect.stringContaining('Error: boom') } });
  });
});

describe('PinoNestLogger', () => {
  it("turns Nest's log(message, context) into a JSON line with the context", () => {
    const { out, logger } = capture();
    new PinoNestLogger(logger).log('Mapped {/health, GET} route', 'RouterExplorer');
    expect(out.lines[0]).toMatchObject({ level: 'info', msg: 'Mapped {/health, GET} route', context: 'RouterExplorer' });
  });

  it("keeps the stack of Nest's error(message, stack, context)", () => {
    const { out, logger } = capture();
    const err = new Error('init failed');
    new PinoNestLogger(logger).error('init failed', err.stack, 'ExceptionHandler');
    expect(out.lines[0]).toMatchObject({ level: 'error', msg: 'init failed', context: 'ExceptionHandler', stack: expect.stringContaining('at ') });
  });

  it('logs Error objects and plain objects, and maps verbose to trace', () => {
    const { out, logger } = capture();
    const nest = new PinoNestLogger(logger);
    nest.error(new Error('thrown'));
    nest.warn({ event: 'x', token: 'secret-token' }, 'Ctx');
    nest.verbose('chatty');
    expect(out.lines[0]).toMatchObject({ level: 'error', msg: 'thrown', err: { message: 'thrown' } });
    expect(out.lines[1]).toMatchObject({ level: 'warn', event: 'x', token: '[redacted]', context: 'Ctx' });
    expect(out.lines[2]).toMatchObject({ level: 'trace', msg: 'chatty' });
  });
});
