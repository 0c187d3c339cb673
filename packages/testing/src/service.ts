import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { TestAuth, testSecretKeys, type MintProjectToken, type TokenOptions } from './auth.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { uniqueName } from './names.js';
import { deleteTestNamespace } from './nats.js';
import { serviceEnv } from './service-env.js';

/** What bootService needs of a Nest app: `NestExpressApplication` fits. */
export interface ServiceApp {
  close(): Promise<void>;
  getHttpServer(): unknown;
}

/**
 * The parts of `@stagehook/platform` bootService uses (pass `import * as platform from
 * '@stagehook/platform'`). Passed in rather than imported: platform's own tests use this package,
 * so a dependency on platform would make the build graph cyclic.
 */
export interface PlatformKit<App extends ServiceApp> {
  // `never` parameters: the platform's generic signatures fit, and bootService hands over exactly
  // what `main.ts` does (module, validated config, logger, error statuses).
  bootstrapService(module: never, options: never): Promise<App>;
  loadConfig(cls: never, env: never): unknown;
  createLogger(options: never): unknown;
  mintProjectToken: MintProjectToken;
}

/** One service as its `main.ts` boots it: its root module, config class and error mapping. */
export interface ServiceDefinition {
  name: string;
  module: unknown;
  config: unknown;
  errorStatuses?: unknown;
}

/** Builds a client for the booted service (for example `@stagehook/sdk`'s, picking the service's part). */
export type ClientFactory<Client> = (options: { baseUrl: string; token: string }) => Client;

export interface BootServiceOptions<Client> {
  /** Environment on top of `serviceEnv`'s (short retry schedules, test-only limits, …). */
  env?: Record<string, string>;
  /**
   * The database to run on. Default: a fresh one, dropped by `close()`. Pass one to restart a
   * service on the same data or to run a second replica; it is then the caller's to drop.
   */
  database?: TestDatabase;
  /**
   * The bus namespace. Default: a fresh one, deleted by `close()`. Services booted for one test
   * share one (the caller's to delete).
   */
  namespace?: string;
  /** Token secret; share one between services that call each other with the user's token. */
  auth?: TestAuth;
  /** SECRET_KEYS; the registry and delivery must share one to open each other's sealed secrets. */
  secretKeys?: string;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  /** Where the service's JSON log lines go (a `LogCapture` for assertions on them). */
  logDestination?: Writable;
  /** `false` skips building the OpenAPI document (faster boots where `/docs` is not tested). */
  openApi?: false;
  /** The project `client` and `call` act for unless told otherwise. Default `proj-a`. */
  project?: string;
  client?: ClientFactory<Client>;
}

export interface CallOptions extends TokenOptions {
  project?: string;
  /** A token of the caller's own instead of a minted one (`''` sends none). */
  token?: string;
  headers?: Record<string, string>;
}

/** Response bodies are JSON the test reads as a client would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export interface Answer<T = Json> {
  status: number;
  /** The parsed body; `{}` when there is none or it is not JSON. */
  json: T;
  text: string;
  headers: Headers;
}

export interface BootedService<App extends ServiceApp, Client = undefined> {
  app: App;
  /** `http://127.0.0.1:<port>` */
  url: string;
  database: TestDatabase;
  namespace: string;
  /** The environment the service was configured from. */
  env: Record<string, string>;
  auth: TestAuth;
  token(projectId?: string, options?: TokenOptions): string;
  /** `options.client`'s client for the default project (undefined without a factory). */
  client: Client;
  /**
   * A request as raw JSON, for what a typed client would not send (malformed bodies, foreign
   * tokens): a string body goes as it is, anything else as JSON.
   */
  call<T = Json>(method: string, path: string, body?: unknown, options?: CallOptions): Promise<Answer<T>>;
  /** Closes the app, then drops what bootService created (database, namespace). */
  close(): Promise<void>;
}

/**
 * Boots one service's Nest app in this process, on a fresh database and bus namespace unless
 * given them, listening on a free loopback port, with the service's own module, config validation
 * and error mapping: what `main.ts` does, minus signal handling.
 */
export async function bootService<App extends ServiceApp, Client = undefined>(
  platform: PlatformKit<App>,
  service: ServiceDefinition,
  options: BootServiceOptions<Client> = {},
): Promise<BootedService<App, Client>> {
  const ownsDatabase = !options.database;
  const ownsNamespace = !options.namespace;
  const database = options.database ?? (await createTestDatabase(service.name));
  const namespace = options.namespace ?? uniqueName(service.name);
  const auth = options.auth ?? new TestAuth(platform.mintProjectToken);
  const project = options.project ?? 'proj-a';
  const logLevel = options.logLevel ?? 'warn';
  const env = {
    ...serviceEnv({ service: service.name, databaseUrl: database.url, namespace, authSecret: auth.secret, secretKeys: options.secretKeys ?? testSecretKeys(), logLevel }),
    ...options.env,
  };
  const dropOwned = async () => {
    if (ownsNamespace) await deleteTestNamespace(namespace).catch(() => undefined);
    if (ownsDatabase) await database.drop().catch(() => undefined);
  };
  let app: App;
  try {
    const config = platform.loadConfig(service.config as never, env as never);
    const logger = platform.createLogger({ service: service.name, level: logLevel, ...(options.logDestination ? { destination: options.logDestination } : {}) } as never);
    const bootstrap = {
      config,
      logger,
      ...(service.errorStatuses ? { errorStatuses: service.errorStatuses } : {}),
      ...(options.openApi === false ? { openApi: false } : {}),
      handleSignals: false,
    };
    app = await platform.bootstrapService(service.module as never, bootstrap as never);
  } catch (err) {
    await dropOwned();
    throw err;
  }
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  const url = `http://127.0.0.1:${port}`;
  const token = (projectId = project, o: TokenOptions = {}) => auth.token(projectId, o);

  const call = async <T = Json>(method: string, path: string, body?: unknown, o: CallOptions = {}): Promise<Answer<T>> => {
    const bearer = o.token ?? token(o.project ?? project, o);
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...o.headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json = {} as T;
    try {
      json = JSON.parse(text) as T;
    } catch {
      // empty or not JSON: `text` has it
    }
    return { status: res.status, json, text, headers: res.headers };
  };

  return {
    app,
    url,
    database,
    namespace,
    env,
    auth,
    token,
    client: (options.client ? options.client({ baseUrl: url, token: token() }) : undefined) as Client,
    call,
    close: async () => {
      await app.close().catch(() => undefined);
      await dropOwned();
    },
  };
}
