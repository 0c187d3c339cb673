import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { memoizeValidationMetadata } from '@stagehook/contracts';
import { type FieldError, ValidationFailedError } from '../errors/domain-error.js';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function childPath(parent: string, property: string, parentIsArray: boolean): string {
  if (parentIsArray && /^\d+$/.test(property)) return `${parent}[${property}]`;
  if (!IDENTIFIER.test(property)) return `${parent}[${JSON.stringify(property)}]`;
  return parent ? `${parent}.${property}` : property;
}

/**
 * Flattens class-validator's error tree into one entry per bad field, with paths as a client
 * writes them (`items[3].width`). Messages never include the rejected value.
 */
export function flattenValidationErrors(errors: ValidationError[], prefix = '', parentIsArray = false): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const path = childPath(prefix, e.property, parentIsArray);
    const messages = Object.values(e.constraints ?? {});
    if (messages.length > 0) out.push({ path, messages });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, path, Array.isArray(e.value)));
  }
  return out;
}

/**
 * The global pipe: unknown fields are refused (not silently dropped), payloads become DTO
 * instances. Implicit conversion stays off: it turns "false" into true; DTOs that take numbers
 * from query strings say so with `@Type(() => Number)`.
 */
export function createValidationPipe(): ValidationPipe {
  // Which rules apply to a DTO is looked up once per class, not on every request.
  memoizeValidationMetadata();
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    // The value is kept in the tree to tell arrays from objects when building paths; it is never
    // copied into the answer.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => new ValidationFailedError(flattenValidationErrors(errors)),
  });
}
