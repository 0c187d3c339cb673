import { isReservedEventType } from '@stagehook/contracts';
import { DomainError } from '@stagehook/platform/domain';
import { InvalidSchemaError, SchemaValidationError, WebhooksErrorCode } from './errors.js';
import { payloadProblems, schemaProblems } from './json-schemas.js';

/** Custom types may not be named in a domain Stagehook publishes itself. */
export function assertNotReserved(name: string): void {
  if (isReservedEventType(name)) {
    throw new DomainError(WebhooksErrorCode.RESERVED_EVENT_TYPE, `name: ${name} is in a domain Stagehook publishes itself (item., workflow., webhook., delivery.)`, {
      field: 'name',
    });
  }
}

/** A schema version's definition: a usable JSON Schema 2020-12, and examples that match it. */
export function checkDefinition(schema: Record<string, unknown>, examples: Record<string, unknown>[]): Record<string, unknown>[] {
  const problems = schemaProblems(schema);
  if (problems.length > 0) throw new InvalidSchemaError(problems);
  const failing = examples.flatMap((ex, i) => payloadProblems(schema, ex, `examples[${i}]`));
  if (failing.length > 0) throw new SchemaValidationError(failing, 'examples');
  return examples;
}
