// .tsx: jest runs every *.unit.spec.ts here (the server's); the web tests are Vitest's.
import { ApiError } from '@stagehook/sdk';
import { describe, expect, it } from 'vitest';
import { emptyForm, type EndpointFormState, fieldOf, serverErrors, toCreateBody, toUpdateBody, validateEndpointForm } from './endpoint-form';

const valid = (patch: Partial<EndpointFormState> = {}): EndpointFormState => ({ ...emptyForm(), name: 'QA', url: 'https://hooks.example.com/x', ...patch });

describe('endpoint form', () => {
  it('accepts a complete, valid form and builds the registry body from it', () => {
    const form = valid({
      events: 'item.status.changed, workflow.*',
      toStatuses: ['done'],
      tags: 'urgent, qa',
      headers: [{ name: 'X-Team', value: 'ml' }],
      customRetry: true,
      maxAttempts: '3',
      backoffSeconds: '5, 30',
      timeoutSeconds: '2.5',
      authorization: 'Bearer t',
    });
    expect(validateEndpointForm(form, 'create')).toEqual({});
    expect(toCreateBody(form)).toEqual({
      name: 'QA',
      url: 'https://hooks.example.com/x',
      eventTypes: ['item.status.changed', 'workflow.*'],
      filters: { toStatuses: ['done'], tags: ['urgent', 'qa'] },
      includeAnnotations: true,
      payloadFormat: 'standard',
      timeoutMs: 2500,
      retryPolicy: { maxAttempts: 3, backoffSeconds: [5, 30] },
      headers: [{ name: 'X-Team', value: 'ml' }],
      authorization: 'Bearer t',
    });
  });

  it('names each bad field: url, event patterns, reserved or repeated header names, retry limits', () => {
    const errors = validateEndpointForm(
      valid({
        url: 'hooks.example.com',
        events: 'item.*, item*, a b',
        headers: [
          { name: 'Webhook-Id', value: 'x' },
          { name: 'X-A', value: 'x' },
          { name: 'x-a', value: '' },
        ],
        customRetry: true,
        maxAttempts: '21',
        backoffSeconds: '5, -1',
        timeoutSeconds: '90',
        datasetIds: 'ok, /bad',
      }),
      'create',
    );
    expect(Object.keys(errors).sort()).toEqual(
      [
        'eventTypes',
        'filters.datasetIds',
        'headers[0].name',
        'headers[2].name',
        'headers[2].value',
        'retryPolicy.backoffSeconds',
        'retryPolicy.maxAttempts',
        'timeoutMs',
        'url',
      ].sort(),
    );
    expect(errors.eventTypes?.[0]).toContain('item*, a b');
    expect(errors['headers[0].name']?.[0]).toContain('set by Stagehook');
  });

  it('in an edit, leaves untouched headers out; a header left empty keeps its value, a new one needs one', () => {
    const untouched = valid({ headers: [{ name: 'X-Team', value: '' }], existingHeaders: { 'x-team': '…form' } });
    expect(validateEndpointForm(untouched, 'edit')).toEqual({});
    expect(toUpdateBody(untouched)).not.toHaveProperty('headers');
    expect(toUpdateBody(untouched)).not.toHaveProperty('authorization');
    const touched = {
      ...untouched,
      headersTouched: true,
      headers: [
        { name: 'x-team', value: '' },
        { name: 'X-Env', value: '' },
      ],
    };
    expect(Object.keys(validateEndpointForm(touched, 'edit'))).toEqual(['headers[1].value']);
    expect(
      toUpdateBody({
        ...touched,
        headers: [
          { name: 'X-Team', value: '' },
          { name: 'X-Env', value: 'staging' },
        ],
      }).headers,
    ).toEqual([{ name: 'X-Team' }, { name: 'X-Env', value: 'staging' }]);
    expect(toUpdateBody({ ...untouched, removeAuthorization: true }).authorization).toBeNull();
  });

  it("puts the registry's field errors on the form's fields, including a domain error's field", () => {
    expect(fieldOf('headers[2].value')).toBe('headers[2].value');
    expect(fieldOf('filters.tags[0]')).toBe('filters.tags');
    expect(fieldOf('retryPolicy.backoffSeconds[1]')).toBe('retryPolicy.backoffSeconds');
    const validation = new ApiError(400, {
      statusCode: 400,
      error: 'VALIDATION_FAILED',
      message: 'Validation failed',
      fields: [
        { path: 'headers[0].name', messages: ['name must be an HTTP header token'] },
        { path: 'somethingElse', messages: ['should not exist'] },
      ],
    });
    expect(serverErrors(validation)).toEqual({ fields: { 'headers[0].name': ['name must be an HTTP header token'] }, general: 'somethingElse: should not exist' });
    const unsafe = new ApiError(422, { statusCode: 422, error: 'UNSAFE_URL', message: 'url resolves to a private address', details: { field: 'url' } });
    expect(serverErrors(unsafe)).toEqual({ fields: { url: ['url resolves to a private address'] }, general: undefined });
  });

  it("sends the payload format on create and edit, and places the registry's payloadFormat error on its field", () => {
    expect(toCreateBody(valid({ payloadFormat: 'slack' })).payloadFormat).toBe('slack');
    expect(toUpdateBody(valid({ payloadFormat: 'darwin' })).payloadFormat).toBe('darwin');
    expect(fieldOf('payloadFormat')).toBe('payloadFormat');
  });
});
