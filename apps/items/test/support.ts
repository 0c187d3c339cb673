import type { NestExpressApplication } from '@nestjs/platform-express';
import { BusNamespace } from '@stagehook/contracts';
import { bootstrapService, createLogger, listeningUrl, loadConfig, mintProjectToken, type TokenActor } from '@stagehook/platform';
import { testEnv, type TestDatabase, uniqueName } from '@stagehook/testing';
import { AppModule } from '../src/app.module.js';
import { ItemsConfig } from '../src/config.js';
import { itemsErrorStatuses } from '../src/domain/errors.js';

export const SECRET = 'items-int-test-secret-0123456789abcdef';
export const token = (projectId: string, actor?: TokenActor): string => mintProjectToken({ projectId, secret: SECRET, ttlSeconds: 600, ...(actor ? { actor } : {}) });

/** Response bodies are untyped JSON; tests read them the way a client would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export interface Booted {
  app: NestExpressApplication;
  ns: BusNamespace;
  call: (method: string, path: string, body?: unknown, projectId?: string, actor?: TokenActor) => Promise<{ status: number; json: Json }>;
}

export async function bootItems(db: TestDatabase, ns = new BusNamespace(uniqueName('items')), extra: Record<string, string> = {}): Promise<Booted> {
  const config = loadConfig(ItemsConfig, {
    NODE_ENV: 'test',
    SERVICE_NAME: 'items',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: db.url,
    NATS_URL: testEnv.natsUrl,
    BUS_NAMESPACE: ns.prefix,
    AUTH_TOKEN_SECRETS: SECRET,
    LOG_LEVEL: 'warn',
    ...extra,
  });
  const app = await bootstrapService(AppModule, {
    config,
    logger: createLogger({ service: 'items', level: 'warn' }),
    errorStatuses: itemsErrorStatuses,
    handleSignals: false,
  });
  const base = listeningUrl(app);
  const call: Booted['call'] = async (method, path, body, projectId = 'proj-a', actor) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token(projectId, actor)}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      // not JSON
    }
    return { status: res.status, json };
  };
  return { app, ns, call };
}
