import type { NextFunction, Request, Response } from 'express';
import { ValidationFailedError } from '../errors/domain-error.js';

/** Keys that reach `Object.prototype` through a naive merge or `plainToInstance`. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deeper than any payload we accept; past it class-transformer/validator recursion is a risk. */
export const MAX_BODY_DEPTH = 32;

export type ShapeProblem =
  { kind: 'forbidden_key'; where: Where; path: string; key: string } | { kind: 'too_deep'; where: Where; path: string } | { kind: 'bad_text'; where: Where; path: string };

export type Where = 'body' | 'query';

function join(path: string, key: string, isArray: boolean): string {
  if (isArray) return `${path}[${key}]`;
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

// Query keys stay flat strings with Express's simple parser, but `a[__proto__]` becomes a real
// path the moment a service (or a later parser setting) expands brackets: refuse the segment too.
function forbiddenSegment(key: string, flatKeys: boolean): string | undefined {
  if (FORBIDDEN_KEYS.has(key)) return key;
  if (!flatKeys) return undefined;
  return key.split(/[[\].]+/).find((segment) => FORBIDDEN_KEYS.has(segment));
}

/**
 * NUL and unpaired UTF-16 surrogates: valid in a JSON string, but PostgreSQL text and jsonb
 * refuse them (`unsupported Unicode escape sequence`), so a value carrying one would fail deep
 * in an append as a 500. Refused at the door instead, naming the field.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = (text: string): boolean => text.includes('\u0000') || LONE_SURROGATE.test(text);

/**
 * Walks a parsed value iteratively (a recursive walk would itself overflow on a hostile body)
 * and returns the first forbidden key or excessive nesting it finds.
 */
export function inspectShape(root: unknown, where: Where, maxDepth = MAX_BODY_DEPTH): ShapeProblem | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string' && unstorable(value)) return { kind: 'bad_text', where, path };
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxDepth) return { kind: 'too_deep', where, path };
    const isArray = Array.isArray(value);
    for (const key of Object.keys(value)) {
      const bad = isArray ? undefined : forbiddenSegment(key, where === 'query');
      if (bad !== undefined) return { kind: 'forbidden_key', where, path: join(path, key, false), key: bad };
      if (unstorable(key)) return { kind: 'bad_text', where, path: join(path, key, false) };
      stack.push({ value: (value as Record<string, unknown>)[key], path: join(path, key, isArray), depth: depth + 1 });
    }
  }
  return undefined;
}

function problemToError(p: ShapeProblem, maxDepth: number): ValidationFailedError {
  const where = p.where === 'body' ? 'request body' : 'query string';
  const path = p.path || `(${where})`;
  if (p.kind === 'bad_text') {
    return new ValidationFailedError(
      [{ path, messages: ['contains a NUL character or an unpaired surrogate, which cannot be stored'] }],
      `Unstorable text in the ${where} at ${path}`,
    );
  }
  return p.kind === 'forbidden_key'
    ? new ValidationFailedError([{ path, messages: [`key "${p.key}" is not allowed`] }], `Forbidden key "${p.key}" in the ${where} at ${path}`)
    : new ValidationFailedError([{ path, messages: [`nesting deeper than ${maxDepth} levels is not allowed`] }], `The ${where} is nested deeper than ${maxDepth} levels`);
}

/**
 * Express middleware, after the body parser and before routing: refuses bodies and query strings
 * carrying prototype-pollution keys, absurd nesting or unstorable text, before any DTO
 * transformation sees them.
 */
export function requestShapeGuard(maxDepth = MAX_BODY_DEPTH) {
  return function requestShapeGuardMiddleware(req: Request, _res: Response, next: NextFunction): void {
    const problem = inspectShape(req.body, 'body', maxDepth) ?? inspectShape(req.query, 'query', maxDepth);
    next(problem ? problemToError(problem, maxDepth) : undefined);
  };
}
