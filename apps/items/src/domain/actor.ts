import { ForbiddenError, ValidationFailedError, actorRef, type TokenActor } from '@stagehook/platform/domain';
import type { DarwinPerson } from '@stagehook/contracts';

/**
 * Who changed an item: the token's actor (`user:<id>` or `service:<id>`), never someone else.
 * A request may still send `changedBy` (clients written before actors did), but only naming the
 * actor (its id or its ref); a project-only token (minted before actors) must name someone.
 */
export function changedByFor(actor: TokenActor | undefined, given: string | undefined, field = 'changedBy'): string {
  if (!actor) {
    if (given === undefined) throw new ValidationFailedError([{ path: field, messages: ['is required: the token names no user or service'] }]);
    return given;
  }
  const ref = actorRef(actor);
  if (given !== undefined && given !== ref && given !== actor.id) {
    throw new ForbiddenError(`${field} names ${JSON.stringify(given)}, but the token acts for ${ref}: a request may not claim another actor`, { field });
  }
  return ref;
}

/**
 * Annotators of annotations a person draws through the API: the token's user by default; naming
 * anyone else is refused. Service tokens (integrations, importers) name annotators freely, and so
 * does a Darwin import: its annotators are V7's record of who drew what.
 */
export function annotatorsFor(actor: TokenActor | undefined, inputs: unknown[], pathPrefix: string): unknown[] {
  if (!actor || actor.kind !== 'user' || !actor.email) return inputs;
  const me: DarwinPerson = { full_name: actor.name ?? actor.id, email: actor.email };
  return inputs.map((input, i) => {
    if (typeof input !== 'object' || input === null) return input;
    const a = input as Record<string, unknown>;
    if (a.annotators === undefined) return { ...a, annotators: [me] };
    const list = Array.isArray(a.annotators) ? (a.annotators as { email?: unknown }[]) : [];
    if (list.some((p) => typeof p !== 'object' || p === null || p.email !== me.email)) {
      throw new ForbiddenError(`${pathPrefix}[${i}].annotators names someone other than the token's user ${me.email}: a request may not claim another actor`, {
        field: `${pathPrefix}[${i}].annotators`,
      });
    }
    return a;
  });
}
