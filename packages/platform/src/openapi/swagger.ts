import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { OPENAPI_PUBLIC_EXTENSION } from '../auth/decorators.js';

export const BEARER_SCHEME = 'bearer';

export interface OpenApiOptions {
  title: string;
  description?: string;
  version?: string;
  /** Where the UI is served; the JSON document is at `${path}-json`. Default `docs`. */
  path?: string;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Every operation requires the bearer scheme (document-level `security`), as the guard does,
 * except those marked `@Public()`, which get `security: []`. Deriving it from the same decorator
 * keeps the document and the guard from disagreeing.
 */
export function applyBearerSecurity(document: OpenAPIObject): OpenAPIObject {
  document.security = [{ [BEARER_SCHEME]: [] }];
  for (const item of Object.values(document.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item[method] as (Record<string, unknown> & { responses?: Record<string, unknown> }) | undefined;
      if (!op) continue;
      if (op[OPENAPI_PUBLIC_EXTENSION] === true) {
        delete op[OPENAPI_PUBLIC_EXTENSION];
        op.security = [];
      } else {
        op.responses = {
          ...op.responses,
          '401': op.responses?.['401'] ?? { description: 'Missing, malformed, forged or expired bearer token' },
        };
      }
    }
  }
  return document;
}

export function buildOpenApiDocument(app: INestApplication, { title, description, version = '1.0.0' }: OpenApiOptions): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(title)
    .setDescription(description ?? `${title} API`)
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Project token (npm run token -- --project <id>)' }, BEARER_SCHEME)
    .build();
  return applyBearerSecurity(SwaggerModule.createDocument(app, config));
}

/** Swagger UI at `/docs`, the document at `/docs-json`. Both are public. */
export function setupOpenApi(app: INestApplication, options: OpenApiOptions): OpenAPIObject {
  const path = options.path ?? 'docs';
  const document = buildOpenApiDocument(app, options);
  SwaggerModule.setup(path, app, document, { jsonDocumentUrl: `${path}-json`, raw: ['json'] });
  return document;
}
