import type { Platform, ServiceName } from './platform.js';
import { SERVICE_NAMES } from './platform.js';

export interface Schema {
  type?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

/** One HTTP operation as a service's own OpenAPI document describes it. */
export interface Operation {
  service: ServiceName;
  method: string;
  /** The OpenAPI template, e.g. `/endpoints/{id}`. */
  path: string;
  pathParams: string[];
  queryParams: string[];
  /** Property names of the JSON body (resolved through `$ref`), if it has one. */
  bodyProperties: string[] | undefined;
  /** False for `@Public()` routes (health, metrics, docs), which the platform marks `security: []`. */
  secured: boolean;
}

interface Doc {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; security?: unknown[] }>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/**
 * Every operation of the four services, read from their `/docs-json` at run time, so a route added
 * later is covered by the hostile-input and security suites without editing them.
 */
export async function listOperations(platform: Platform): Promise<Operation[]> {
  const ops: Operation[] = [];
  for (const service of SERVICE_NAMES) {
    const res = await fetch(`${platform.url(service)}/docs-json`);
    if (!res.ok) throw new Error(`${service} /docs-json → ${res.status}`);
    const doc = (await res.json()) as Doc;
    const resolve = (s: Schema | undefined): Schema | undefined => {
      if (!s?.$ref) return s;
      return doc.components?.schemas?.[s.$ref.split('/').pop()!];
    };
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!METHODS.has(method)) continue;
        const params = op.parameters ?? [];
        const body = resolve(op.requestBody?.content?.['application/json']?.schema);
        const props = body ? [...Object.keys(body.properties ?? {}), ...(body.allOf ?? []).flatMap((s) => Object.keys(resolve(s)?.properties ?? {}))] : undefined;
        ops.push({
          service,
          method: method.toUpperCase(),
          path,
          pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
          queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
          bodyProperties: props,
          secured: !(Array.isArray(op.security) && op.security.length === 0),
        });
      }
    }
  }
  return ops;
}

/** The template with each `{name}` replaced by its URL-encoded value. */
export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeSegment(values[name] ?? 'x'));
}

/** Percent-encodes a path segment; a lone surrogate goes out as the invalid UTF-8 bytes it would be. */
function encodeSegment(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return v
      .split(/([\ud800-\udfff])/)
      .map((part) => (/^[\ud800-\udfff]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
      .join('');
  }
}

export const describeOp = (op: Operation): string => `${op.service} ${op.method} ${op.path}`;
