// Builds each service's OpenAPI document from its compiled AppModule in Nest's preview mode:
// modules and routes are scanned, no provider is instantiated, so no database or NATS is needed.
// Titles and descriptions are the ones each service's main.ts passes to runService.
import 'reflect-metadata';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const SERVICES = {
  workflow: { title: 'Stagehook workflow', description: 'Workflow definitions and items moving through their stages' },
  items: { title: 'Stagehook items' },
  webhooks: { title: 'Stagehook webhook registry', description: 'Endpoints, subscriptions, signing secrets' },
  delivery: { title: 'Stagehook delivery' },
};

export async function openApiDocument(service) {
  const load = (p) => import(pathToFileURL(join(root, p)).href);
  const { NestFactory } = await import('@nestjs/core');
  const platform = await load('packages/platform/dist/index.js');
  const { AppModule } = await load(`apps/${service}/dist/app.module.js`);
  const { Module } = await import('@nestjs/common');
  // A config the module graph can hold; nothing reads it in preview mode.
  const configModule = await load(`apps/${service}/dist/config.js`);
  const ConfigClass = Object.values(configModule).find((v) => typeof v === 'function' && v.prototype instanceof platform.BaseConfig);
  if (!ConfigClass) throw new Error(`apps/${service}/src/config.ts exports no BaseConfig subclass`);
  const config = Object.assign(new ConfigClass(), { SERVICE_NAME: service, NODE_ENV: 'test', PORT: 0 });
  class Root {}
  Module({ imports: [platform.PlatformModule.forRoot({ config, logger: platform.createLogger({ service, level: 'silent' }) }), AppModule] })(Root);
  const app = await NestFactory.create(Root, { preview: true, logger: false, abortOnError: false });
  try {
    return platform.buildOpenApiDocument(app, { title: service, ...SERVICES[service] });
  } finally {
    await app.close().catch(() => undefined);
  }
}
