import type { WebhooksComponents } from '@stagehook/sdk';
import { ApiError } from '@stagehook/sdk';

/*
 * The endpoint form's model, its client-side checks and the mapping of the registry's 4xx answers
 * onto its fields. The limits mirror the DTOs in apps/webhooks/src/commands/{register-endpoint,shared}/ and
 * packages/contracts (ITEM_STATUSES, ID_PATTERN, HEADER_NAME_PATTERN, MAX_CUSTOM_HEADERS); the
 * server stays the judge (it also knows which event types exist and which URLs are safe), and
 * its field errors land on the same fields.
 */

export type CreateEndpointBody = WebhooksComponents['schemas']['CreateEndpointDto'];
export type UpdateEndpointBody = WebhooksComponents['schemas']['UpdateEndpointDto'];
export type EndpointView = WebhooksComponents['schemas']['EndpointView'];

export const ITEM_STATUSES = ['new', 'in_progress', 'to_review', 'done', 'skipped', 'archived'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];
export const MAX_CUSTOM_HEADERS = 10;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;
/** `*`, an exact type (`item.status.changed`) or a prefix wildcard (`item.*`, `workflow.stage.*`). */
const EVENT_PATTERN = /^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$/;
const RESERVED_HEADERS = new Set([
  'authorization',
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'user-agent',
  'cookie',
  'expect',
  'upgrade',
  'keep-alive',
  'te',
  'trailer',
]);
const RESERVED_PREFIXES = ['webhook-', 'proxy-'];

export interface HeaderRow {
  name: string;
  /** Write-only: empty in an edit means "keep the value set under this name". */
  value: string;
}

/** The registry's payload formats (contracts PAYLOAD_FORMATS), with what each sends. */
export const PAYLOAD_FORMATS = [
  { value: 'standard', label: 'Standard (type, timestamp, data)' },
  { value: 'darwin', label: 'V7 Darwin JSON 2.0 (webhook stages)' },
  { value: 'slack', label: 'Slack message (incoming webhook)' },
] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number]['value'];

export interface EndpointFormState {
  name: string;
  description: string;
  url: string;
  /** Comma-separated patterns. */
  events: string;
  toStatuses: ItemStatus[];
  fromStatuses: ItemStatus[];
  /** Comma-separated lists. */
  tags: string;
  workflowIds: string;
  datasetIds: string;
  includeAnnotations: boolean;
  payloadFormat: PayloadFormat;
  timeoutSeconds: string;
  customRetry: boolean;
  maxAttempts: string;
  /** Comma-separated seconds. */
  backoffSeconds: string;
  headers: HeaderRow[];
  /** In an edit: the headers were changed, so the list is sent (the registry replaces it whole). */
  headersTouched: boolean;
  /** In an edit: the names (lower case) that have a value set already, with its masked hint. */
  existingHeaders: Record<string, string>;
  authorization: string;
  removeAuthorization: boolean;
  active: boolean;
}

export type FieldErrors = Partial<Record<string, string[]>>;

export function emptyForm(): EndpointFormState {
  return {
    name: '',
    description: '',
    url: '',
    events: 'item.status.changed',
    toStatuses: [],
    fromStatuses: [],
    tags: '',
    workflowIds: '',
    datasetIds: '',
    includeAnnotations: true,
    payloadFormat: 'standard',
    timeoutSeconds: '15',
    customRetry: false,
    maxAttempts: '5',
    backoffSeconds: '',
    headers: [],
    headersTouched: false,
    existingHeaders: {},
    authorization: '',
    removeAuthorization: false,
    active: true,
  };
}

/** The form for editing `e`: secrets (header values, authorization) are not known, only that they exist. */
export function formFrom(e: EndpointView): EndpointFormState {
  const f = (e.filters ?? {}) as { toStatuses?: ItemStatus[]; fromStatuses?: ItemStatus[]; tags?: string[]; workflowIds?: string[]; datasetIds?: string[] };
  const retry = e.retryPolicy as { maxAttempts: number; backoffSeconds?: number[] } | null;
  return {
    ...emptyForm(),
    name: e.name,
    description: e.description ?? '',
    url: e.url,
    events: e.eventTypes.join(', '),
    toStatuses: f.toStatuses ?? [],
    fromStatuses: f.fromStatuses ?? [],
    tags: (f.tags ?? []).join(', '),
    workflowIds: (f.workflowIds ?? []).join(', '),
    datasetIds: (f.datasetIds ?? []).join(', '),
    includeAnnotations: e.includeAnnotations,
    payloadFormat: e.payloadFormat,
    timeoutSeconds: String(e.timeoutMs / 1000),
    customRetry: retry !== null,
    maxAttempts: retry ? String(retry.maxAttempts) : '5',
    backoffSeconds: (retry?.backoffSeconds ?? []).join(', '),
    headers: customHeaders(e).map(({ name }) => ({ name, value: '' })),
    existingHeaders: Object.fromEntries(customHeaders(e).map((h) => [h.name.toLowerCase(), h.hint])),
    active: e.active,
  };
}

/**
 * An endpoint's custom headers as the registry shows them: the name and a masked hint of the
 * value (the value itself is write-only and never reaches the console).
 */
export function customHeaders(e: Pick<EndpointView, 'headers'>): Array<{ name: string; hint: string }> {
  return e.headers.map((h) => ({ name: h.name, hint: h.hint }));
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function add(errors: FieldErrors, field: string, message: string) {
  (errors[field] ??= []).push(message);
}

/** Every problem the console can see before asking the server, by field. */
export function validateEndpointForm(f: EndpointFormState, mode: 'create' | 'edit'): FieldErrors {
  const e: FieldErrors = {};
  if (f.name.trim().length === 0) add(e, 'name', 'Name is required');
  if (f.name.length > 200) add(e, 'name', 'At most 200 characters');
  if (f.description.length > 2000) add(e, 'description', 'At most 2000 characters');
  if (!f.url.trim()) add(e, 'url', 'URL is required');
  else {
    try {
      const u = new URL(f.url.trim());
      if (u.protocol !== 'http:' && u.protocol !== 'https:') add(e, 'url', 'Must be an http(s) URL');
    } catch {
      add(e, 'url', 'Must be an absolute URL, like https://hooks.example.com/stagehook');
    }
    if (f.url.length > 2048) add(e, 'url', 'At most 2048 characters');
  }
  const events = list(f.events);
  if (events.length > 100) add(e, 'eventTypes', 'At most 100 event types');
  const bad = events.filter((p) => p.length > 200 || !EVENT_PATTERN.test(p));
  if (bad.length) add(e, 'eventTypes', `Not an event type or wildcard: ${bad.join(', ')} (use item.status.changed, item.* or *)`);

  const tags = list(f.tags);
  if (tags.length > 50) add(e, 'filters.tags', 'At most 50 tags');
  if (tags.some((t) => t.length > 100)) add(e, 'filters.tags', 'A tag has at most 100 characters');
  for (const key of ['workflowIds', 'datasetIds'] as const) {
    const ids = list(f[key]);
    if (ids.length > 50) add(e, `filters.${key}`, 'At most 50 ids');
    const badIds = ids.filter((id) => id.length > 128 || !ID_PATTERN.test(id));
    if (badIds.length) add(e, `filters.${key}`, `Not an id: ${badIds.join(', ')}`);
  }

  const timeout = Number(f.timeoutSeconds);
  if (!/^\d+(\.\d+)?$/.test(f.timeoutSeconds.trim()) || timeout < 1 || timeout > 60 || !Number.isInteger(timeout * 1000)) add(e, 'timeoutMs', 'Between 1 and 60 seconds');
  if (f.customRetry) {
    const n = Number(f.maxAttempts);
    if (!Number.isInteger(n) || n < 1 || n > 20) add(e, 'retryPolicy.maxAttempts', 'A whole number from 1 to 20');
    const backoff = list(f.backoffSeconds);
    if (backoff.length > 20) add(e, 'retryPolicy.backoffSeconds', 'At most 20 delays');
    if (backoff.some((b) => !/^\d+$/.test(b) || Number(b) > 86_400)) add(e, 'retryPolicy.backoffSeconds', 'Whole seconds from 0 to 86400, comma-separated');
  }

  if (f.headers.length > MAX_CUSTOM_HEADERS) add(e, 'headers', `At most ${MAX_CUSTOM_HEADERS} custom headers`);
  const seen = new Set<string>();
  f.headers.forEach((h, i) => {
    const lower = h.name.trim().toLowerCase();
    if (!HEADER_NAME.test(h.name.trim())) add(e, `headers[${i}].name`, "A header name: letters, digits and !#$%&'*+.^_`|~- only");
    else if (RESERVED_HEADERS.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p)))
      add(e, `headers[${i}].name`, `${h.name.trim()} is set by Stagehook and cannot be overridden`);
    else if (seen.has(lower)) add(e, `headers[${i}].name`, 'Each header name once');
    seen.add(lower);
    if (h.value.length > 1000) add(e, `headers[${i}].value`, 'At most 1000 characters');
    if (!HEADER_VALUE.test(h.value)) add(e, `headers[${i}].value`, 'No line breaks');
    const keeps = mode === 'edit' && f.existingHeaders[lower] !== undefined;
    if (h.value.length === 0 && !keeps) add(e, `headers[${i}].value`, mode === 'edit' ? 'A value is required: no value is set under this name yet' : 'A value is required');
  });

  if (f.authorization.length > 4096) add(e, 'authorization', 'At most 4096 characters');
  if (!HEADER_VALUE.test(f.authorization)) add(e, 'authorization', 'No line breaks');
  return e;
}

function filtersOf(f: EndpointFormState) {
  return {
    ...(f.toStatuses.length ? { toStatuses: f.toStatuses } : {}),
    ...(f.fromStatuses.length ? { fromStatuses: f.fromStatuses } : {}),
    ...(list(f.tags).length ? { tags: list(f.tags) } : {}),
    ...(list(f.workflowIds).length ? { workflowIds: list(f.workflowIds) } : {}),
    ...(list(f.datasetIds).length ? { datasetIds: list(f.datasetIds) } : {}),
  };
}

function retryOf(f: EndpointFormState) {
  if (!f.customRetry) return null;
  const backoff = list(f.backoffSeconds).map(Number);
  return { maxAttempts: Number(f.maxAttempts), ...(backoff.length ? { backoffSeconds: backoff } : {}) };
}

/** An empty value in an edit keeps the value set under that name (the registry's rule). */
const headersOf = (f: EndpointFormState) => f.headers.map((h) => (h.value ? { name: h.name.trim(), value: h.value } : { name: h.name.trim() }));

// The generated types render nullable properties as `Record<string, never>`; the casts say "this JSON value".
const json = <T>(v: unknown) => v as T;

export function toCreateBody(f: EndpointFormState): CreateEndpointBody {
  return {
    name: f.name.trim(),
    ...(f.description.trim() ? { description: f.description.trim() } : {}),
    url: f.url.trim(),
    eventTypes: list(f.events),
    filters: filtersOf(f),
    includeAnnotations: f.includeAnnotations,
    payloadFormat: f.payloadFormat,
    timeoutMs: Math.round(Number(f.timeoutSeconds) * 1000),
    ...(f.customRetry ? { retryPolicy: json<CreateEndpointBody['retryPolicy']>(retryOf(f)) } : {}),
    ...(f.headers.length ? { headers: f.headers.map((h) => ({ name: h.name.trim(), value: h.value })) } : {}),
    ...(f.authorization ? { authorization: json<CreateEndpointBody['authorization']>(f.authorization) } : {}),
  };
}

/**
 * Everything the form shows is sent again (the registry replaces filters and lists whole); the
 * headers when touched (a header left without a value keeps its value), the authorization when
 * typed or removed.
 */
export function toUpdateBody(f: EndpointFormState): UpdateEndpointBody {
  return {
    name: f.name.trim(),
    description: f.description.trim(),
    url: f.url.trim(),
    eventTypes: list(f.events),
    filters: filtersOf(f),
    includeAnnotations: f.includeAnnotations,
    payloadFormat: f.payloadFormat,
    timeoutMs: Math.round(Number(f.timeoutSeconds) * 1000),
    retryPolicy: json<UpdateEndpointBody['retryPolicy']>(retryOf(f)),
    ...(f.headersTouched ? { headers: headersOf(f) } : {}),
    ...(f.removeAuthorization
      ? { authorization: json<UpdateEndpointBody['authorization']>(null) }
      : f.authorization
        ? { authorization: json<UpdateEndpointBody['authorization']>(f.authorization) }
        : {}),
  };
}

/** The form's fields, most specific first, that a server path (`headers[2].value`, `filters.tags[0]`) can land on. */
const FIELD_PREFIXES = [
  /^headers\[\d+\]\.(name|value)/,
  /^filters\.(toStatuses|fromStatuses|tags|workflowIds|datasetIds)/,
  /^retryPolicy\.(maxAttempts|backoffSeconds)/,
  /^(name|description|url|eventTypes|filters|timeoutMs|retryPolicy|headers|authorization|includeAnnotations|payloadFormat)/,
];

export function fieldOf(path: string): string | undefined {
  for (const re of FIELD_PREFIXES) {
    const m = re.exec(path);
    if (m) return m[0];
  }
  return undefined;
}

/**
 * The registry's 4xx answer split into field errors (validation `fields`, or a domain error's
 * `details.field`, like an unsafe URL or unknown event types) and what belongs to no field.
 */
export function serverErrors(err: unknown): { fields: FieldErrors; general: string | undefined } {
  if (!(err instanceof ApiError) || err.status >= 500 || !err.body) return { fields: {}, general: err instanceof Error ? err.message : String(err) };
  const fields: FieldErrors = {};
  const rest: string[] = [];
  for (const fe of err.body.fields ?? []) {
    const field = fieldOf(fe.path);
    if (field) for (const m of fe.messages) add(fields, field, m);
    else rest.push(`${fe.path}: ${fe.messages.join(', ')}`);
  }
  const detailField = typeof err.body.details?.field === 'string' ? fieldOf(err.body.details.field) : undefined;
  if (detailField) add(fields, detailField, err.body.message);
  else if (!err.body.fields?.length) rest.push(err.body.message);
  return { fields, general: rest.length ? rest.join('; ') : undefined };
}
