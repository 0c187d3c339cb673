import { createServer } from 'node:net';
import { testEnv } from './env.js';

export interface ServiceEnvOptions {
  service: string;
  databaseUrl: string;
  /** The bus namespace (BUS_NAMESPACE): services of one test share one, tests never do. */
  namespace: string;
  authSecret: string;
  secretKeys: string;
  /** 0 (the default) lets the system pick, for an in-process app. */
  port?: number;
  natsUrl?: string;
  logLevel?: string;
}

/**
 * The environment a service is started with in tests, in-process or as a process: loopback only,
 * the test PostgreSQL and NATS, and the test receiver's 127.0.0.1 allowed past the SSRF guard.
 */
export function serviceEnv(o: ServiceEnvOptions): Record<string, string> {
  return {
    NODE_ENV: 'test',
    SERVICE_NAME: o.service,
    HOST: '127.0.0.1',
    PORT: String(o.port ?? 0),
    DATABASE_URL: o.databaseUrl,
    NATS_URL: o.natsUrl ?? testEnv.natsUrl,
    BUS_NAMESPACE: o.namespace,
    AUTH_TOKEN_SECRETS: o.authSecret,
    SECRET_KEYS: o.secretKeys,
    SSRF_ALLOW_LIST: '127.0.0.1',
    LOG_LEVEL: o.logLevel ?? 'warn',
  };
}

/** A port free on 127.0.0.1 now, for a service process that must be told its port up front. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
