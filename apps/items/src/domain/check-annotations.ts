import { ValidationFailedError, type FieldError } from '@stagehook/platform/domain';
import { checkAnnotation, type Annotation, type SlotGeometry } from './annotation.js';

/**
 * Checks every annotation against the item's slots first: one bad field and nothing is written
 * (a 400 naming every bad field under `pathPrefix[i]`, or `pathPrefix[indices[i]]`).
 */
export function checkAnnotations(inputs: unknown[], slots: readonly SlotGeometry[], pathPrefix: string, indices?: number[]): Annotation[] {
  const errors: FieldError[] = [];
  const out: Annotation[] = [];
  inputs.forEach((input, i) => {
    const r = checkAnnotation(input, slots, `${pathPrefix}[${indices ? indices[i] : i}]`);
    if (r.ok) out.push(r.annotation);
    else errors.push(...r.errors);
  });
  if (errors.length > 0) throw new ValidationFailedError(errors);
  return out;
}
