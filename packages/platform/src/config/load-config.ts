import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { secretFields } from './env-decorators.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  variable: string;
  problems: string[];
}

/** Every invalid variable at once, so an operator fixes the environment in one go. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `Invalid configuration (${problems.length} variable${problems.length === 1 ? '' : 's'}):\n` + problems.map((p) => `  ${p.variable}: ${p.problems.join('; ')}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

/** The environment variables a config class reads (its ancestors' included): the fields with a class-validator decorator. */
export function declaredVariables(cls: new () => object): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))];
}

// Shorter values match ordinary words ("short" in "shorter than"); a secret that short fails
// its own validation anyway, and the built-in messages never quote values.
const MIN_WITHHELD_LENGTH = 8;
const WITHHELD = 'is invalid (the message is withheld because it would quote a secret value)';

/** A message that quotes a secret (a `$value` in a custom message) is replaced as a whole. */
function withholdSecrets(message: string, secrets: string[]): string {
  return secrets.some((s) => s.length >= MIN_WITHHELD_LENGTH && message.includes(s)) ? WITHHELD : message;
}

/**
 * Reads, converts and validates a config class from the environment. Throws a
 * `ConfigValidationError` naming every bad variable and what is wrong with it; the values of
 * `@Secret()` variables never appear in it. This is the only place the package reads
 * `process.env`.
 */
export function loadConfig<T extends object>(cls: new () => T, env: Env = process.env): T {
  const names = declaredVariables(cls);
  // Only declared variables, and an empty one counts as unset so defaults apply: the process
  // environment also holds PATH, HOME and whatever the orchestrator injects.
  const plain: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') plain[name] = value;
  }
  const instance = plainToInstance(cls, plain);
  const errors = validateSync(instance, { forbidUnknownValues: true, validationError: { target: false, value: false } });
  if (errors.length === 0) return instance;

  const secrets = secretFields(cls).flatMap((name) => {
    const raw = env[name];
    return raw ? [raw, ...raw.split(',').map((s) => s.trim())] : [];
  });
  const problems = errors.map((e: ValidationError): ConfigProblem => {
    const missing = !(e.property in plain);
    const messages = missing
      ? ['is required but not set']
      : Object.values(e.constraints ?? {}).map((m) => withholdSecrets(m.startsWith(`${e.property} `) ? m.slice(e.property.length + 1) : m, secrets));
    return { variable: e.property, problems: [...new Set(messages)] };
  });
  problems.sort((a, b) => a.variable.localeCompare(b.variable));
  throw new ConfigValidationError(problems);
}
