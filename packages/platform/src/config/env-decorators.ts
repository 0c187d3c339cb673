import { Transform } from 'class-transformer';
import { IsInt, Max, Min, ValidateBy, type ValidationArguments } from 'class-validator';

/**
 * Environment variables are strings. These decorators convert what they can and leave anything
 * else unconverted, so the validator reports it; class-transformer's implicit conversion is not
 * used because it turns "false" into `true` and "abc" into NaN.
 */

const SECRET_FIELDS = new WeakMap<object, string[]>();

/** Marks a variable whose value must never appear in an error message. */
export function Secret(): PropertyDecorator {
  return (target, key) => {
    const ctor = target.constructor;
    SECRET_FIELDS.set(ctor, [...(SECRET_FIELDS.get(ctor) ?? []), String(key)]);
  };
}

/** The secret variables of a config class, its ancestors' included. */
export function secretFields(cls: object): string[] {
  const out: string[] = [];
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    out.push(...(SECRET_FIELDS.get(c) ?? []));
  }
  return out;
}

function toInteger(value: unknown): unknown {
  return typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
}

/** An integer variable, within bounds. */
export function EnvInteger({ min, max }: { min?: number; max?: number } = {}): PropertyDecorator {
  const range = min !== undefined && max !== undefined ? ` between ${min} and ${max}` : min !== undefined ? ` of at least ${min}` : max !== undefined ? ` of at most ${max}` : '';
  const message = `must be an integer${range}`;
  return (target, key) => {
    Transform(({ value }) => toInteger(value))(target, key);
    IsInt({ message })(target, key);
    if (min !== undefined) Min(min, { message })(target, key);
    if (max !== undefined) Max(max, { message })(target, key);
  };
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** A boolean variable: true/false, 1/0, yes/no, on/off. */
export function EnvBoolean(): PropertyDecorator {
  return (target, key) => {
    Transform(({ value }: { value: unknown }) => {
      if (typeof value !== 'string') return value;
      const v = value.trim().toLowerCase();
      return TRUE.has(v) ? true : FALSE.has(v) ? false : value;
    })(target, key);
    ValidateBy({
      name: 'envBoolean',
      validator: { validate: (v) => typeof v === 'boolean', defaultMessage: () => 'must be one of true/false, 1/0, yes/no, on/off' },
    })(target, key);
  };
}

/** A comma-separated list; blanks around entries are ignored. */
export function EnvList({ minItems = 0, itemMinLength = 0 }: { minItems?: number; itemMinLength?: number } = {}): PropertyDecorator {
  return (target, key) => {
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s.length > 0)
        : value,
    )(target, key);
    ValidateBy({
      name: 'envList',
      validator: {
        validate: (v) => Array.isArray(v) && v.length >= minItems && v.every((s) => typeof s === 'string' && s.length >= itemMinLength),
        // Names entries by position and never quotes them: the list may be of secrets.
        defaultMessage: (args?: ValidationArguments) => {
          const v = args?.value as unknown;
          if (!Array.isArray(v)) return 'must be a comma-separated list';
          if (v.length < minItems) return `must list at least ${minItems} entr${minItems === 1 ? 'y' : 'ies'}`;
          const short = v.flatMap((s, i) => (typeof s === 'string' && s.length >= itemMinLength ? [] : [i + 1]));
          return `${short.length === 1 ? 'entry' : 'entries'} ${short.join(', ')} (1-based) ${short.length === 1 ? 'is' : 'are'} shorter than ${itemMinLength} characters`;
        },
      },
    })(target, key);
  };
}

/** A URL (or a comma-separated list of them, with `list`) whose scheme is one of `protocols`. */
export function EnvUrl(protocols: string[], { list = false }: { list?: boolean } = {}): PropertyDecorator {
  const ok = (s: string): boolean => {
    try {
      const u = new URL(s);
      return protocols.includes(u.protocol.replace(/:$/, '')) && u.hostname.length > 0;
    } catch {
      return false;
    }
  };
  const schemes = protocols.map((p) => `${p}://`).join(' or ');
  return ValidateBy({
    name: 'envUrl',
    validator: {
      validate: (v) => typeof v === 'string' && (list ? v.split(',').map((s) => s.trim()) : [v]).every(ok),
      // The URL may hold a password: say what is expected, never what was given.
      defaultMessage: () => (list ? `must be a comma-separated list of ${schemes} URLs` : `must be a ${schemes} URL`),
    },
  });
}
