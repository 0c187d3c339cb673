import { describe, expect, it } from '@jest/globals';
import { BadRequestException, HttpException, NotFoundException, PayloadTooLargeException, ServiceUnavailableException } from '@nestjs/common';
import { ConflictError, DEFAULT_ERROR_STATUSES, DomainError, isDomainError, NotFoundError, ValidationFailedError } from '../src/errors/domain-error.js';
import { toErrorResponse } from '../src/errors/exception-filter.js';
import { assertSameProject, foundInProject } from '../src/auth/project-scope.js';

const statuses = { ...DEFAULT_ERROR_STATUSES, ENDPOINT_DISABLED: 422 };
const map = (e: unknown) => toErrorResponse(e, statuses);

describe('toErrorResponse', () => {
  it('maps domain errors by code, with their message and safe details', () => {
    expect(map(new NotFoundError('endpoint ep_1 not found'))).toEqual({
      body: { statusCode: 404, error: 'NOT_FOUND', message: 'endpoint ep_1 not found' },
      unexpected: false,
    });
    expect(map(new ConflictError('already exists', { id: 'x' })).body).toEqual({
      statusCode: 409,
      error: 'CONFLICT',
      message: 'already exists',
      details: { id: 'x' },
    });
  });

  it("maps a service's own codes through its extension of the map", () => {
    expect(map(new DomainError('ENDPOINT_DISABLED', 'endpoint is disabled')).body).toEqual({
      statusCode: 422,
      error: 'ENDPOINT_DISABLED',
      message: 'endpoint is disabled',
    });
  });

  it('keeps the message of a deliberate 503 domain error, and does not flag it as a bug', () => {
    expect(map(new DomainError('SERVICE_UNAVAILABLE', 'NATS is reconnecting; retry shortly'))).toEqual({
      body: { statusCode: 503, error: 'SERVICE_UNAVAILABLE', message: 'NATS is reconnecting; retry shortly' },
      unexpected: false,
    });
  });

  it('treats a domain error with an unmapped code as a bug', () => {
    expect(map(new DomainError('NOBODY_MAPPED_ME', 'secret-ish text'))).toEqual({
      body: { statusCode: 500, error: 'INTERNAL_ERROR', message: 'Internal server error' },
      unexpected: true,
    });
  });

  it('lists fields of a validation failure', () => {
    const body = map(new ValidationFailedError([{ path: 'items[3].width', messages: ['width must be positive'] }])).body;
    expect(body).toEqual({
      statusCode: 400,
      error: 'VALIDATION_FAILED',
      message: 'Validation failed: items[3].width',
      fields: [{ path: 'items[3].width', messages: ['width must be positive'] }],
    });
  });

  it('maps a foreign error carrying code CONCURRENCY_CONFLICT to 409 without its internal message', () => {
    const err = Object.assign(new Error('stream item-9 at version 4, expected 3'), { code: 'CONCURRENCY_CONFLICT' });
    const { body, unexpected } = map(err);
    expect(unexpected).toBe(false);
    expect(body).toMatchObject({ statusCode: 409, error: 'CONCURRENCY_CONFLICT' });
    expect(body.message).not.toContain('item-9');
  });

  it('does not honour system error codes (ECONNREFUSED) or database codes', () => {
    expect(map(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).body.statusCode).toBe(500);
    expect(map(Object.assign(new Error('duplicate key'), { code: '23505' })).body.statusCode).toBe(500);
  });

  it('normalises Nest HttpExceptions to the same shape', () => {
    expect(map(new NotFoundException('Cannot GET /x')).body).toEqual({ statusCode: 404, error: 'NOT_FOUND', message: 'Cannot GET /x' });
    expect(map(new BadRequestException(['a is bad', 'b is bad'])).body).toEqual({ statusCode: 400, error: 'BAD_REQUEST', message: 'a is bad; b is bad' });
    expect(map(new HttpException('I am a teapot', 418)).body).toEqual({ statusCode: 418, error: 'I_M_A_TEAPOT', message: 'I am a teapot' });
    expect(map(new ServiceUnavailableException('db down: host 10.0.0.5'))).toEqual({
      body: { statusCode: 503, error: 'SERVICE_UNAVAILABLE', message: 'Service Unavailable' },
      unexpected: false,
    });
  });

  it('maps body-parser failures to invalid_json and payload_too_large, never 500', () => {
    const parse = Object.assign(new SyntaxError('Unexpected token } in JSON at position 9: {"pw":"hunter2"}'), {
      status: 400,
      type: 'entity.parse.failed',
    });
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, statusCode: 413, type: 'entity.too.large', expose: true });
    expect(map(new BadRequestException(parse.message, { cause: parse })).body).toEqual({
      statusCode: 400,
      error: 'invalid_json',
      message: 'Request body is not valid JSON',
    });
    expect(map(new PayloadTooLargeException('x', { cause: tooLarge })).body).toMatchObject({ statusCode: 413, error: 'payload_too_large' });
    expect(map(parse).body.error).toBe('invalid_json');
  });

  it('answers anything else with a generic 500 and flags it as a bug', () => {
    expect(map(new TypeError("Cannot read properties of undefined (reading 'id')"))).toEqual({
      body: { statusCode: 500, error: 'INTERNAL_ERROR', message: 'Internal server error' },
      unexpected: true,
    });
    expect(map('a thrown string').unexpected).toBe(true);
  });

  it('recognises domain errors by brand, not only by prototype', () => {
    const clone = Object.create(null) as Record<string | symbol, unknown>;
    Object.assign(clone, { code: 'NOT_FOUND', message: 'm' });
    clone[Symbol.for('stagehook.platform.DomainError')] = true;
    expect(isDomainError(clone)).toBe(true);
    expect(isDomainError(new Error('x'))).toBe(false);
  });
});

describe('project scoping', () => {
  it("answers another project's resource as not found", () => {
    expect(() => assertSameProject('proj-a', 'proj-b', 'endpoint ep_1')).toThrow(NotFoundError);
    expect(() => assertSameProject('proj-a', 'proj-b', 'endpoint ep_1')).toThrow('endpoint ep_1 not found');
    expect(() => assertSameProject('proj-a', 'proj-a', 'endpoint ep_1')).not.toThrow();
    expect(() => assertSameProject(undefined, 'proj-a', 'endpoint ep_1')).toThrow(NotFoundError);
  });

  it('loads or 404s in one step', () => {
    expect(foundInProject({ projectId: 'p', id: 1 }, 'p', 'x')).toEqual({ projectId: 'p', id: 1 });
    expect(() => foundInProject(undefined, 'p', 'x')).toThrow(NotFoundError);
    expect(() => foundInProject({ projectId: 'q' }, 'p', 'x')).toThrow(NotFoundError);
  });
});
