import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths as DeliveryPaths } from './generated/delivery.js';
import type { paths as ItemsPaths } from './generated/items.js';
import type { paths as WebhooksPaths } from './generated/webhooks.js';
import type { paths as WorkflowPaths } from './generated/workflow.js';

export type ServiceName = 'workflow' | 'items' | 'webhooks' | 'delivery';

type DeadLetterRoute = '/dead-letters' | '/dead-letters/{id}' | '/dead-letters/{id}/replay' | '/dead-letters/replay';

/**
 * The dead-letter routes every service that runs consumers mounts (packages/platform's
 * DeadLettersController), the same in each service's document.
 */
export type DeadLetterPaths = Pick<DeliveryPaths, DeadLetterRoute>;

type Assert<T extends true> = T;

/** Does not compile once a service's dead-letter routes differ from delivery's. */
export type DeadLetterRoutesAgree = Assert<
  [Pick<WorkflowPaths, DeadLetterRoute>, Pick<ItemsPaths, DeadLetterRoute>, Pick<WebhooksPaths, DeadLetterRoute>] extends [DeadLetterPaths, DeadLetterPaths, DeadLetterPaths]
    ? true
    : false
>;

export interface StagehookClient {
  workflow: Client<WorkflowPaths>;
  items: Client<ItemsPaths>;
  webhooks: Client<WebhooksPaths>;
  delivery: Client<DeliveryPaths>;
  /** Each service's dead letters, through one type (a console page lists them all alike). */
  deadLetters: Record<ServiceName, Client<DeadLetterPaths>>;
}

export interface ClientOptions {
  /**
   * Where each service is: a function of the service name (`(s) => \`/api/${s}\`` behind the
   * console) or one URL per service.
   */
  baseUrl: ((service: ServiceName) => string) | Record<ServiceName, string>;
  /** The project token, or a function read per request (a console whose user signs out). */
  token: string | (() => string | undefined);
  fetch?: typeof globalThis.fetch;
}

/** One openapi-fetch client per service, each sending the project token. */
export function createStagehookClient({ baseUrl, token, fetch }: ClientOptions): StagehookClient {
  const auth: Middleware = {
    onRequest({ request }) {
      const t = typeof token === 'function' ? token() : token;
      if (t) request.headers.set('authorization', `Bearer ${t}`);
      return request;
    },
  };
  const make = <P extends object>(service: ServiceName): Client<P> => {
    const client = createClient<P>({ baseUrl: typeof baseUrl === 'function' ? baseUrl(service) : baseUrl[service], ...(fetch ? { fetch } : {}) });
    client.use(auth);
    return client;
  };
  return {
    workflow: make<WorkflowPaths>('workflow'),
    items: make<ItemsPaths>('items'),
    webhooks: make<WebhooksPaths>('webhooks'),
    delivery: make<DeliveryPaths>('delivery'),
    deadLetters: {
      workflow: make<DeadLetterPaths>('workflow'),
      items: make<DeadLetterPaths>('items'),
      webhooks: make<DeadLetterPaths>('webhooks'),
      delivery: make<DeadLetterPaths>('delivery'),
    },
  };
}

/** The services' error body (packages/platform ErrorBody). */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  fields?: Array<{ path: string; messages: string[] }>;
  details?: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | undefined,
  ) {
    super(body?.message ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

function isErrorBody(v: unknown): v is ApiErrorBody {
  return typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string';
}

/**
 * The body of a successful answer, or an `ApiError` with the status and error body. `T` names
 * the response type where the OpenAPI document has none (see views.ts).
 */
export async function ok<T = never, D = unknown>(call: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<[T] extends [never] ? D : T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, isErrorBody(error) ? error : undefined);
  return data as [T] extends [never] ? D : T;
}
